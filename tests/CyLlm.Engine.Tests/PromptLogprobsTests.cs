using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Prompt logprobs (completions' <c>echo</c> + <c>logprobs</c>, <c>max_tokens: 0</c>): what lm-evaluation-harness
/// sends to score log-likelihoods. Each prompt token's logprob equals the log-softmax of the logits a forward pass over
/// the tokens before it gives, whatever the chunking, and a prefix-cache hit never leaves a position unscored.
/// </summary>
public sealed class PromptLogprobsTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(16)]
    [InlineData(5)]
    public async Task Prompt_logprobs_equal_a_forward_pass_over_each_prefix(int tokenBudget)
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 128 });
        var rng = new Random(11);
        var prompt = Enumerable.Range(0, 40).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray();
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20, TokenBudget = tokenBudget });

        // The same prompt once before: its blocks are in the prefix cache, and must not be used.
        await serving.GenerateAsync(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 2 }));
        var scored = await serving.GenerateAsync(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 0 }) { PromptLogprobs = 3 });

        Assert.Empty(scored.TokenIds);
        Assert.Equal(FinishReason.Length, scored.FinishReason);
        Assert.Equal(0, scored.CachedTokens);
        var lp = scored.PromptLogprobs!;
        Assert.Equal(prompt.Length, lp.Count);
        Assert.Null(lp[0]);

        foreach (int p in new[] { 0, 7, 15, 16, 31, 38 })
        {
            float[]? row = null;
            serving.OnLogits = (_, _, logits) => row ??= logits.ToArray();
            await serving.GenerateAsync(new ServingRequest(prompt[..(p + 1)], new SamplingParams { Temperature = 0, MaxTokens = 1 }));
            serving.OnLogits = null;
            Assert.NotNull(row);
            double max = row.Max();
            double logZ = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            var got = lp[p + 1]!.Value;
            Assert.Equal(prompt[p + 1], got.TokenId);
            Assert.True(Math.Abs(got.Logprob - (row[prompt[p + 1]] - logZ)) < 1e-4, $"position {p + 1}: {got.Logprob} vs {row[prompt[p + 1]] - logZ}");
            var best = Enumerable.Range(0, row.Length).OrderByDescending(i => row[i]).Take(3).ToArray();
            Assert.Equal(best, got.TopLogprobs!.Select(t => t.TokenId).ToArray());
        }
    }

    [Theory]
    [InlineData(256)]
    [InlineData(5)]
    public async Task The_prompt_logprobs_are_delivered_before_the_first_token_complete_and_equal_to_the_result_s(int tokenBudget)
    {
        using var engine = InferenceEngine.Load(SyntheticModels.Get("tiny", "f32"), null, new EngineOptions { Threads = 2, ContextTokens = 128 });
        var rng = new Random(5);
        var prompt = Enumerable.Range(0, 23).Select(_ => rng.Next(3, engine.Config.VocabSize)).ToArray();
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20, TokenBudget = tokenBudget });

        var handle = serving.Submit(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 8, IgnoreEos = true }) { PromptLogprobs = 2 });
        Assert.NotNull(handle.PromptLogprobs);
        Assert.True(await handle.Tokens.WaitToReadAsync());
        // The prompt rows are scored in the step that samples the first token, and set before its output is written.
        Assert.True(handle.PromptLogprobs.IsCompletedSuccessfully);
        var early = await handle.PromptLogprobs;
        Assert.Equal(prompt.Length, early.Count);
        Assert.Null(early[0]);
        Assert.All(early.Skip(1), s => Assert.NotNull(s));
        var result = await handle.Completion;
        Assert.Equal(early.Select(s => s?.Logprob), result.PromptLogprobs!.Select(s => s?.Logprob));

        // A one-token prompt has nothing to score: delivered at once. Without prompt logprobs, no task at all.
        var single = serving.Submit(new ServingRequest(prompt[..1], new SamplingParams { Temperature = 0, MaxTokens = 0 }) { PromptLogprobs = 0 });
        Assert.Equal([null], await single.PromptLogprobs!);
        await single.Completion;
        var plain = serving.Submit(new ServingRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = 1 }));
        Assert.Null(plain.PromptLogprobs);
        await plain.Completion;
    }

    [Fact]
    public void Max_tokens_zero_generates_nothing_on_the_single_stream_path_too()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 64 });
        var r = engine.Generate(new GenerationRequest { PromptTokens = engine.Encode("Once upon a time"), Sampling = new SamplingParams { Temperature = 0, MaxTokens = 0 } });
        Assert.Empty(r.TokenIds);
        Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.Equal("", r.Text);
    }

    [Fact]
    public void LogprobCalculator_matches_a_double_precision_log_softmax()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 300).Select(_ => (float)((rng.NextDouble() - 0.5) * 20)).ToArray();
        var r = LogprobCalculator.Of(logits, 17, 5);
        double max = logits.Max();
        double logZ = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
        Assert.Equal(logits[17] - logZ, r.Logprob, 4);
        var best = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(5).ToArray();
        Assert.Equal(best, r.TopLogprobs!.Select(t => t.TokenId).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => LogprobCalculator.Of(logits, 300, 0));
    }
}
