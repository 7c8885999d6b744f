using System.Diagnostics;
using System.Numerics.Tensors;

namespace CyLlm.Training.Backward;

/// <summary>
/// Causal multi-head attention with grouped KV heads over independent segments of the row stream.
/// q, out: [rows, heads·hd]; k, v: [rows, kvHeads·hd]; segment i covers rows [starts[i], starts[i] + lengths[i]) and
/// attends only within itself. probs: per segment and head a [L, L] lower-triangular block at
/// probOffsets[i] + h·L·L, saved for backward. Parallel over (segment, kv head): the q heads that share a kv head are
/// handled by one worker, so dk/dv accumulate without races and in a fixed order.
/// </summary>
internal sealed class AttentionOp
{
    public AttentionOp(int heads, int kvHeads, int headDim)
    {
        Debug.Assert(heads % kvHeads == 0);
        Heads = heads;
        KvHeads = kvHeads;
        HeadDim = headDim;
    }

    public int Heads { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }

    /// <summary>Floats of the saved probabilities for segments of the given lengths; fills offsets.</summary>
    public long ProbSize(ReadOnlySpan<int> lengths, Span<long> offsets)
    {
        long total = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            offsets[i] = total;
            total += (long)Heads * lengths[i] * lengths[i];
        }

        return total;
    }

    public void Forward(ParallelFor par, float[] q, float[] k, float[] v, float[] output, float[] probs, int[] starts, int[] lengths, long[] probOffsets)
    {
        int hd = HeadDim, group = Heads / KvHeads, qw = Heads * hd, kw = KvHeads * hd;
        float scale = 1f / MathF.Sqrt(hd);
        par.Run(starts.Length * KvHeads, part =>
        {
            int seg = part / KvHeads, kh = part % KvHeads;
            int s0 = starts[seg], len = lengths[seg];
            for (int h = kh * group; h < (kh + 1) * group; h++)
            {
                long pBase = probOffsets[seg] + ((long)h * len * len);
                for (int t = 0; t < len; t++)
                {
                    var qt = q.AsSpan(((s0 + t) * qw) + (h * hd), hd);
                    var p = probs.AsSpan((int)(pBase + ((long)t * len)), len);
                    for (int s = 0; s <= t; s++)
                    {
                        p[s] = TensorPrimitives.Dot(qt, k.AsSpan(((s0 + s) * kw) + (kh * hd), hd)) * scale;
                    }

                    p[(t + 1)..].Clear();
                    TensorPrimitives.SoftMax(p[..(t + 1)], p[..(t + 1)]);
                    var ot = output.AsSpan(((s0 + t) * qw) + (h * hd), hd);
                    ot.Clear();
                    for (int s = 0; s <= t; s++)
                    {
                        TensorPrimitives.MultiplyAdd(v.AsSpan(((s0 + s) * kw) + (kh * hd), hd), p[s], ot, ot);
                    }
                }
            }
        });
    }

    /// <summary>Writes dq (overwritten), dk and dv (overwritten) from dout.</summary>
    public void Backward(ParallelFor par, float[] q, float[] k, float[] v, float[] probs, float[] dout, float[] dq, float[] dk, float[] dv, int[] starts, int[] lengths, long[] probOffsets)
    {
        int hd = HeadDim, group = Heads / KvHeads, qw = Heads * hd, kw = KvHeads * hd;
        float scale = 1f / MathF.Sqrt(hd);
        par.Run(starts.Length * KvHeads, part =>
        {
            int seg = part / KvHeads, kh = part % KvHeads;
            int s0 = starts[seg], len = lengths[seg];
            for (int s = 0; s < len; s++)
            {
                dk.AsSpan(((s0 + s) * kw) + (kh * hd), hd).Clear();
                dv.AsSpan(((s0 + s) * kw) + (kh * hd), hd).Clear();
            }

            float[] dp = new float[len];
            for (int h = kh * group; h < (kh + 1) * group; h++)
            {
                long pBase = probOffsets[seg] + ((long)h * len * len);
                for (int t = 0; t < len; t++)
                {
                    var p = probs.AsSpan((int)(pBase + ((long)t * len)), t + 1);
                    var dot = dout.AsSpan(((s0 + t) * qw) + (h * hd), hd);
                    var dqt = dq.AsSpan(((s0 + t) * qw) + (h * hd), hd);
                    var qt = q.AsSpan(((s0 + t) * qw) + (h * hd), hd);
                    float sum = 0;
                    for (int s = 0; s <= t; s++)
                    {
                        var vs = v.AsSpan(((s0 + s) * kw) + (kh * hd), hd);
                        dp[s] = TensorPrimitives.Dot(dot, vs);
                        sum += dp[s] * p[s];
                        var dvs = dv.AsSpan(((s0 + s) * kw) + (kh * hd), hd);
                        TensorPrimitives.MultiplyAdd(dot, p[s], dvs, dvs);
                    }

                    dqt.Clear();
                    for (int s = 0; s <= t; s++)
                    {
                        float ds = p[s] * (dp[s] - sum) * scale;
                        TensorPrimitives.MultiplyAdd(k.AsSpan(((s0 + s) * kw) + (kh * hd), hd), ds, dqt, dqt);
                        var dks = dk.AsSpan(((s0 + s) * kw) + (kh * hd), hd);
                        TensorPrimitives.MultiplyAdd(qt, ds, dks, dks);
                    }
                }
            }
        });
    }
}
