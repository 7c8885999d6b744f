using System.Numerics.Tensors;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>
/// Causal self-attention for a batch of tokens, one part per (token, head). Keys and values of every
/// position up to the token's own are already in the cache. Scores live in per-worker scratch.
/// </summary>
internal sealed unsafe class AttentionJob : IParallelJob
{
    private readonly float[][] _scores; // per worker: [context]

    public AttentionJob(int workers, int context)
    {
        _scores = new float[workers][];
        for (int i = 0; i < workers; i++)
        {
            _scores[i] = GC.AllocateArray<float>(context, pinned: true);
        }
    }

    public IKvCache Cache = null!;
    public int Layer;
    public int Heads;
    public int KvHeads;
    public int HeadDim;
    public float* Q;          // [tokens, heads*headDim]
    public float* Out;        // [tokens, heads*headDim]
    public int* Positions;    // [tokens]
    public int* Sequences;    // [tokens]

    public void Execute(int index, int worker)
    {
        int t = index / Heads;
        int h = index % Heads;
        int hd = HeadDim;
        int kvDim = KvHeads * hd;
        int g = h / (Heads / KvHeads);
        int pos = Positions[t];
        int seq = Sequences[t];
        float* q = Q + ((nint)t * Heads * hd) + ((nint)h * hd);
        float* o = Out + ((nint)t * Heads * hd) + ((nint)h * hd);
        float scale = 1f / MathF.Sqrt(hd);
        int bt = Cache.BlockTokens;
        bool f16 = Cache.IsF16;
        int n = pos + 1;
        float[] scoresArr = _scores[worker];
        fixed (float* scores = scoresArr)
        {
            for (int b = 0, j0 = 0; j0 < n; b++, j0 += bt)
            {
                int m = Math.Min(bt, n - j0);
                if (f16)
                {
                    ushort* kh = (ushort*)Cache.KeyBlock(Layer, seq, b) + ((nint)g * hd);
                    for (int j = 0; j < m; j++)
                    {
                        scores[j0 + j] = VecDot.F16(kh + ((nint)j * kvDim), q, hd) * scale;
                    }
                }
                else
                {
                    float* kb = Cache.KeyBlock(Layer, seq, b) + ((nint)g * hd);
                    for (int j = 0; j < m; j++)
                    {
                        scores[j0 + j] = VecDot.F32(q, kb + ((nint)j * kvDim), hd) * scale;
                    }
                }
            }

            var s = new Span<float>(scores, n);
            TensorPrimitives.SoftMax(s, s);
            var outSpan = new Span<float>(o, hd);
            outSpan.Clear();
            for (int b = 0, j0 = 0; j0 < n; b++, j0 += bt)
            {
                int m = Math.Min(bt, n - j0);
                if (f16)
                {
                    ushort* vh = (ushort*)Cache.ValueBlock(Layer, seq, b) + ((nint)g * hd);
                    for (int j = 0; j < m; j++)
                    {
                        VecDot.AxpyF16(vh + ((nint)j * kvDim), scores[j0 + j], o, hd);
                    }
                }
                else
                {
                    float* vb = Cache.ValueBlock(Layer, seq, b) + ((nint)g * hd);
                    for (int j = 0; j < m; j++)
                    {
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(vb + ((nint)j * kvDim), hd), scores[j0 + j], outSpan, outSpan);
                    }
                }
            }
        }
    }
}
