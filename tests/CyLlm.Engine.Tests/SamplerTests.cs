using CsCheck;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Tests;

public class SamplerTests
{
    private static float[] Logits(params float[] v) => v;

    private static int Sample(SamplingParams p, float[] logits, IReadOnlyList<int>? eog = null) =>
        new Sampler(p, eog ?? []).Sample((float[])logits.Clone()).TokenId;

    [Fact]
    public void Greedy_takes_the_largest_logit()
    {
        Assert.Equal(2, Sample(new SamplingParams { Temperature = 0 }, Logits(0.1f, -1, 3, 2.9f)));
    }

    [Fact]
    public void Same_seed_same_tokens_and_different_seeds_differ()
    {
        var rng = new Random(1);
        var logits = Enumerable.Range(0, 200).Select(_ => (float)rng.NextDouble() * 2).ToArray();
        int[] Run(long seed)
        {
            var s = new Sampler(new SamplingParams { Temperature = 1, Seed = seed }, []);
            return Enumerable.Range(0, 50).Select(_ => s.Sample((float[])logits.Clone()).TokenId).ToArray();
        }

        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Top_k_1_is_greedy_whatever_the_temperature()
    {
        var logits = Logits(1, 5, 2, 4.99f);
        for (int seed = 0; seed < 50; seed++)
        {
            Assert.Equal(1, Sample(new SamplingParams { Temperature = 1.5f, TopK = 1, Seed = seed }, logits));
        }
    }

    [Fact]
    public void Top_p_keeps_only_the_nucleus()
    {
        // Probabilities ≈ 0.665, 0.245, 0.090: top_p 0.5 keeps only the first token.
        var logits = Logits(2, 1, 0);
        for (int seed = 0; seed < 50; seed++)
        {
            Assert.Equal(0, Sample(new SamplingParams { Temperature = 1, TopP = 0.5f, Seed = seed }, logits));
        }
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_threshold()
    {
        // p1/p0 = e^-3 ≈ 0.05 < 0.1: only token 0 survives.
        var logits = Logits(3, 0, -5);
        for (int seed = 0; seed < 50; seed++)
        {
            Assert.Equal(0, Sample(new SamplingParams { Temperature = 1, MinP = 0.1f, Seed = seed }, logits));
        }
    }

    [Fact]
    public void Sampling_follows_the_softmax_distribution()
    {
        var logits = Logits(MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f));
        var s = new Sampler(new SamplingParams { Temperature = 1, Seed = 42 }, []);
        var counts = new int[3];
        const int n = 20000;
        for (int i = 0; i < n; i++)
        {
            counts[s.Sample((float[])logits.Clone()).TokenId]++;
        }

        Assert.InRange(counts[0] / (double)n, 0.48, 0.52);
        Assert.InRange(counts[1] / (double)n, 0.28, 0.32);
        Assert.InRange(counts[2] / (double)n, 0.18, 0.22);
    }

    [Fact]
    public void Logit_bias_can_force_or_ban_a_token()
    {
        var logits = Logits(5, 0, 0);
        Assert.Equal(2, Sample(new SamplingParams { Temperature = 0, LogitBias = new Dictionary<int, float> { [2] = 100 } }, logits));
        Assert.Equal(1, Sample(new SamplingParams { Temperature = 0, LogitBias = new Dictionary<int, float> { [0] = -100, [2] = -1 } }, logits));
    }

    [Fact]
    public void Penalties_follow_the_openai_and_hf_formulas()
    {
        var s = new Sampler(new SamplingParams { Temperature = 0, PresencePenalty = 0.5f, FrequencyPenalty = 0.25f }, []);
        s.Accept(0);
        s.Accept(0);
        var l = Logits(3, 2.1f);
        s.Sample(l);
        Assert.Equal(3 - (2 * 0.25f) - 0.5f, l[0], 5);
        Assert.Equal(2.1f, l[1], 5);

        var r = new Sampler(new SamplingParams { Temperature = 0, RepetitionPenalty = 2 }, [], promptTokens: [0, 1]);
        var l2 = Logits(4, -1, 1);
        r.Sample(l2);
        Assert.Equal(2f, l2[0], 5);   // positive logits are divided
        Assert.Equal(-2f, l2[1], 5);  // negative logits are multiplied
        Assert.Equal(1f, l2[2], 5);
    }

    [Fact]
    public void Min_tokens_bans_end_of_generation_until_reached()
    {
        var s = new Sampler(new SamplingParams { Temperature = 0, MinTokens = 2 }, [0]);
        Assert.Equal(1, s.Sample(Logits(9, 1)).TokenId);
        Assert.Equal(1, s.Sample(Logits(9, 1)).TokenId);
        Assert.Equal(0, s.Sample(Logits(9, 1)).TokenId);
    }

    [Fact]
    public void Logprobs_are_log_softmax_and_top_alternatives_are_sorted()
    {
        var s = new Sampler(new SamplingParams { Temperature = 0, Logprobs = true, TopLogprobs = 2 }, []);
        var r = s.Sample(Logits(1, 3, 2));
        double z = Math.Log(Math.Exp(1) + Math.Exp(3) + Math.Exp(2));
        Assert.Equal(1, r.TokenId);
        Assert.Equal(3 - z, r.Logprob, 4);
        Assert.Equal([1, 2], r.TopLogprobs!.Select(t => t.TokenId));
        Assert.Equal(2 - z, r.TopLogprobs![1].Logprob, 4);
    }

    [Fact]
    public void Validation_names_the_parameter()
    {
        Assert.Contains("temperature", new SamplingParams { Temperature = -1 }.Validate());
        Assert.Contains("top_p", new SamplingParams { TopP = 0 }.Validate());
        Assert.Contains("top_logprobs", new SamplingParams { TopLogprobs = 21 }.Validate());
        Assert.Contains("logit_bias", new SamplingParams { LogitBias = new Dictionary<int, float> { [1] = 101 } }.Validate());
        Assert.Null(new SamplingParams().Validate());
    }

    [Fact]
    public void Sampled_token_is_always_a_candidate_that_survives_the_filters()
    {
        Gen.Select(Gen.Int[0, 1000], Gen.Float[0.1f, 2f], Gen.Int[0, 20], Gen.Float[0.05f, 1f]).Sample((seed, temp, topK, topP) =>
        {
            var rng = new Random(seed);
            var logits = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 10 - 5)).ToArray();
            var p = new SamplingParams { Temperature = temp, TopK = topK, TopP = topP, Seed = seed };
            int id = new Sampler(p, []).Sample((float[])logits.Clone()).TokenId;
            if (topK > 0)
            {
                int rank = logits.Count(l => l > logits[id]);
                return rank < topK;
            }

            return id >= 0 && id < logits.Length;
        }, iter: 500);
    }
}
