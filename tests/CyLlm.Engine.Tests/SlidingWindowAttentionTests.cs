using CyLlm.Engine.Execution;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The attention job's Gemma features against a scalar double-precision reference: the sliding window (a query at
/// position p sees keys p − W + 1 … p), attention-logit soft-capping (c·tanh(s / c) before the softmax) and the query
/// scale, over query runs of 1 and 8 tokens and a cache in blocks of 4 tokens (so windows skip whole blocks and
/// start inside tiles); and the window's contract: a key/value outside every query's window has no influence,
/// one inside it does.
/// </summary>
public sealed unsafe class SlidingWindowAttentionTests
{
    private const int Heads = 4, KvHeads = 2, HeadDim = 32, KvDim = KvHeads * HeadDim, Context = 64, BlockTokens = 4;

    [Theory]
    [InlineData(0, 0f, 1, 30)]
    [InlineData(5, 0f, 1, 30)]
    [InlineData(5, 0.3f, 1, 30)]
    [InlineData(5, 0.3f, 8, 20)]
    [InlineData(11, 0f, 8, 3)]     // window longer than the sequence: the same as no window
    [InlineData(1, 0f, 8, 17)]     // each query sees only itself
    [InlineData(16, 2f, 8, 40)]
    public void Windowed_soft_capped_attention_matches_the_scalar_reference(int window, float softcap, int run, int start)
    {
        using var cache = Filled(start + run, seed: window + run);
        var q = Random(run * Heads * HeadDim, 99);
        float scale = 0.2f;
        var got = Run(cache, q, start, run, window, softcap, scale);
        for (int t = 0; t < run; t++)
        {
            for (int h = 0; h < Heads; h++)
            {
                var expected = Reference(cache, q.AsSpan(((t * Heads) + h) * HeadDim, HeadDim), h / (Heads / KvHeads), start + t, window, softcap, scale);
                for (int d = 0; d < HeadDim; d++)
                {
                    float actual = got[(((t * Heads) + h) * HeadDim) + d];
                    Assert.True(Math.Abs(actual - expected[d]) < 1e-5, $"token {t}, head {h}, dim {d}: {actual} vs {expected[d]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void A_key_outside_the_window_has_no_influence_and_one_inside_does(int run)
    {
        const int window = 6, start = 20;
        using var cache = Filled(start + run, seed: 3);
        var q = Random(run * Heads * HeadDim, 7);
        var before = Run(cache, q, start, run, window, 0f, 0f);
        var beforeGlobal = Run(cache, q, start, run, 0, 0f, 0f);

        // The first query (position 20) sees 15..20; position 14 is outside every query's window of the run.
        int outside = start - window;
        cache.Key(outside).Fill(5f);
        cache.Value(outside).Fill(-5f);
        Assert.Equal(before, Run(cache, q, start, run, window, 0f, 0f));

        // Without the window the same change moves the output: the key is not ignored for another reason.
        Assert.NotEqual(beforeGlobal, Run(cache, q, start, run, 0, 0f, 0f));

        // Position 15 is inside the first query's window: changing it changes the output.
        cache.Value(outside + 1).Fill(-5f);
        Assert.NotEqual(before, Run(cache, q, start, run, window, 0f, 0f));
    }

    /// <summary>Runs one query run of <paramref name="run"/> tokens at positions start … start + run − 1 through the job
    /// (every KV head part on this thread) and returns the [run, heads·headDim] output.</summary>
    private static float[] Run(BlockedTestKvCache cache, float[] q, int start, int run, int window, float softcap, float scale)
    {
        var job = new AttentionJob(1, Context, Heads / KvHeads, HeadDim, KvDim);
        var o = new float[run * Heads * HeadDim];
        var positions = new int[run];
        var sequences = new int[run];
        for (int t = 0; t < run; t++)
        {
            positions[t] = start + t;
        }

        int[] runStarts = [0, run];
        try
        {
            fixed (float* pq = q, po = o)
            fixed (int* pp = positions, ps = sequences, pr = runStarts)
            {
                job.Cache = cache;
                job.Layer = 0;
                job.Heads = Heads;
                job.KvHeads = KvHeads;
                job.HeadDim = HeadDim;
                job.Q = pq;
                job.Out = po;
                job.Positions = pp;
                job.Sequences = ps;
                job.RunStarts = pr;
                job.Scale = scale;
                job.Softcap = softcap;
                job.Window = window;
                for (int g = 0; g < KvHeads; g++)
                {
                    job.Execute(g, 0);
                }
            }
        }
        finally
        {
            job.Dispose();
        }

        return o;
    }

    private static double[] Reference(BlockedTestKvCache cache, ReadOnlySpan<float> q, int kvHead, int position, int window, float softcap, float scale)
    {
        double s0 = scale > 0 ? scale : 1 / Math.Sqrt(HeadDim);
        int from = window > 0 ? Math.Max(0, position - window + 1) : 0;
        var scores = new double[position + 1 - from];
        for (int j = from; j <= position; j++)
        {
            var k = cache.Key(j).Slice(kvHead * HeadDim, HeadDim);
            double dot = 0;
            for (int d = 0; d < HeadDim; d++)
            {
                dot += (double)q[d] * k[d];
            }

            double s = dot * s0;
            scores[j - from] = softcap > 0 ? softcap * Math.Tanh(s / softcap) : s;
        }

        double max = scores.Max();
        double sum = scores.Sum(x => Math.Exp(x - max));
        var o = new double[HeadDim];
        for (int j = from; j <= position; j++)
        {
            double p = Math.Exp(scores[j - from] - max) / sum;
            var v = cache.Value(j).Slice(kvHead * HeadDim, HeadDim);
            for (int d = 0; d < HeadDim; d++)
            {
                o[d] += p * v[d];
            }
        }

        return o;
    }

    private static BlockedTestKvCache Filled(int tokens, int seed)
    {
        var cache = new BlockedTestKvCache(BlockTokens, Context / BlockTokens, KvDim);
        var rng = new Random(seed);
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < KvDim; i++)
            {
                cache.Key(t)[i] = (float)((rng.NextDouble() * 2) - 1);
                cache.Value(t)[i] = (float)((rng.NextDouble() * 2) - 1);
            }
        }

        return cache;
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var f = new float[n];
        for (int i = 0; i < n; i++)
        {
            f[i] = (float)((rng.NextDouble() * 2) - 1) * 2;
        }

        return f;
    }
}
