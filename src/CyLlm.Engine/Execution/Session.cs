using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>
/// One sequence's inference state: a contiguous KV cache and the forward pass. Prefill processes the prompt
/// in batches of up to <see cref="ForwardPass.MaxBatch"/> tokens; decode runs one token at a time.
/// </summary>
internal sealed class Session : IDisposable
{
    private readonly ForwardPass _forward;
    private readonly ContiguousKvCache _cache;
    private readonly int[] _positions;
    private readonly int[] _sequences;
    private readonly int[] _want = new int[1];

    public Session(ModelWeights weights, WorkerPool pool, int contextTokens, int maxBatch)
    {
        var c = weights.Config;
        Capacity = contextTokens;
        _forward = new ForwardPass(weights, pool, maxBatch, contextTokens);
        _cache = new ContiguousKvCache(c.Layers, 1, contextTokens, c.KvHeads * c.HeadDim);
        _positions = new int[maxBatch];
        _sequences = new int[maxBatch];
    }

    /// <summary>Tokens the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Tokens already in the cache.</summary>
    public int Length { get; private set; }

    public long KvBytes => _cache.Bytes;

    /// <summary>Forgets every cached token (the memory is reused).</summary>
    public void Reset() => Length = 0;

    /// <summary>
    /// Appends <paramref name="tokens"/> and returns the logits after the last one, [vocab], valid until the
    /// next call.
    /// </summary>
    public ReadOnlySpan<float> Append(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to append", nameof(tokens));
        }

        if (Length + tokens.Length > Capacity)
        {
            throw new InvalidOperationException($"context full: {Length} + {tokens.Length} tokens exceed the {Capacity}-token context");
        }

        ReadOnlySpan<float> logits = default;
        int max = _forward.MaxBatch;
        for (int start = 0; start < tokens.Length; start += max)
        {
            int n = Math.Min(max, tokens.Length - start);
            for (int i = 0; i < n; i++)
            {
                _positions[i] = Length + i;
                _sequences[i] = 0;
            }

            bool last = start + n == tokens.Length;
            _want[0] = n - 1;
            ReadOnlySpan<int> want = last ? _want : [];
            logits = _forward.Forward(_cache, tokens.Slice(start, n), _positions.AsSpan(0, n), _sequences.AsSpan(0, n), want);
            Length += n;
        }

        return logits;
    }

    public ReadOnlySpan<float> LastNormedHidden => _forward.LastNormedHidden(0);

    /// <summary>Mean of the final normed hidden states over all <paramref name="tokens"/> (a fresh sequence).</summary>
    public float[] MeanHidden(ReadOnlySpan<int> tokens, int dim)
    {
        Reset();
        var sum = new double[dim];
        int max = _forward.MaxBatch;
        var rows = new int[Math.Min(max, tokens.Length)];
        for (int start = 0; start < tokens.Length; start += max)
        {
            int n = Math.Min(max, tokens.Length - start);
            for (int i = 0; i < n; i++)
            {
                _positions[i] = Length + i;
                _sequences[i] = 0;
                rows[i] = i;
            }

            var hidden = _forward.Forward(_cache, tokens.Slice(start, n), _positions.AsSpan(0, n), _sequences.AsSpan(0, n), rows.AsSpan(0, n), computeLogits: false);
            for (int i = 0; i < n; i++)
            {
                for (int d = 0; d < dim; d++)
                {
                    sum[d] += hidden[(i * dim) + d];
                }
            }

            Length += n;
        }

        var mean = new float[dim];
        for (int d = 0; d < dim; d++)
        {
            mean[d] = (float)(sum[d] / tokens.Length);
        }

        return mean;
    }

    public void Dispose()
    {
        _forward.Dispose();
        _cache.Dispose();
    }
}
