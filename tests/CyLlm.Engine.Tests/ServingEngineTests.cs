using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>Continuous batching on stories260K: outputs are token-exact whatever else runs beside them.</summary>
public sealed class ServingEngineTests : IDisposable
{
    private readonly InferenceEngine _engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 512 });

    public void Dispose() => _engine.Dispose();

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    private int[] Alone(int[] prompt, int n) =>
        _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = Greedy(n) }).TokenIds;

    private int[] Prompt(string text) => _engine.Encode(text);

    [Fact]
    public async Task Sixteen_mixed_requests_in_one_batch_equal_their_single_runs()
    {
        string[] texts =
        [
            "Once upon a time", "The little dog", "Lily and Tom went", "One day, a big", "The sun was", "She wanted to",
            "A girl named Sue", "In the park", "Tim had a red", "The cat sat", "Mom said", "They played with",
            "Once upon a time there was", "The bird flew", "He was very", "At night the moon",
        ];
        var expected = texts.Select((t, i) => Alone(Prompt(t), 20 + i)).ToArray();
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20, TokenBudget = 64 });
        var tasks = texts.Select((t, i) => serving.GenerateAsync(new ServingRequest(Prompt(t), Greedy(20 + i)))).ToArray();
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], results[i].TokenIds);
        }

        Assert.Equal(0, serving.UsedBlocks);
    }

    [Fact]
    public async Task Prefix_hits_give_identical_outputs_and_are_counted()
    {
        var prompt = Prompt(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. ", 4)) + "She");
        var expected = Alone(prompt, 24);
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20 });
        var first = await serving.GenerateAsync(new ServingRequest(prompt, Greedy(24)));
        var handle = serving.Submit(new ServingRequest(prompt, Greedy(24)));
        var second = await handle.Completion;
        Assert.Equal(expected, first.TokenIds);
        Assert.Equal(expected, second.TokenIds);
        Assert.True(handle.CachedTokens >= (prompt.Length - 1) / 16 * 16, $"cached {handle.CachedTokens} of {prompt.Length}");
        Assert.True(serving.PrefixHits > 0);
        // A different tenant salt never sees the cache.
        var other = serving.Submit(new ServingRequest(prompt, Greedy(4)) { CacheSalt = 99 });
        await other.Completion;
        Assert.Equal(0, other.CachedTokens);
    }

    [Fact]
    public async Task Preempted_requests_resume_with_identical_outputs()
    {
        // A pool far too small for all requests at once forces preemption and recomputation.
        string[] texts = ["Once upon a time", "The little dog", "Lily and Tom went", "One day, a big", "The sun was", "She wanted to"];
        var expected = texts.Select(t => Alone(Prompt(t), 60)).ToArray();
        var opts = new ServingOptions { BlockTokens = 16, KvType = Engine.KvCache.KvCacheType.F32 };
        using var serving = new ServingEngine(_engine, opts with { KvCacheBytes = ServingEngine.BlockBytes(_engine.Config, opts) * 12 });
        var results = await Task.WhenAll(texts.Select((t, i) => serving.GenerateAsync(new ServingRequest(Prompt(t), Greedy(60)) { Priority = i % 3 })));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], results[i].TokenIds);
        }

        Assert.True(serving.TotalPreemptions > 0, "the test did not exercise preemption");
        Assert.Equal(0, serving.UsedBlocks);
    }

    [Fact]
    public async Task High_priority_request_starts_before_queued_low_priority_work()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20, MaxRunning = 1 });
        var low = Enumerable.Range(0, 3).Select(i => serving.Submit(new ServingRequest(Prompt("The little dog"), Greedy(30)) { Priority = 10 })).ToArray();
        var high = serving.Submit(new ServingRequest(Prompt("Once upon a time"), Greedy(5)) { Priority = -5 });
        var lows = await Task.WhenAll(low.Select(h => h.Completion));
        var hi = await high.Completion;
        // Time to first token is measured by the engine from each request's own submission. The low requests
        // were submitted first, so any of them that started before the high one would show a shorter wait;
        // at most one (already running when the high one came) may.
        int before = lows.Count(l => l.TtftMs < hi.TtftMs);
        Assert.True(before <= 1, $"high ttft {hi.TtftMs:F1} ms, low ttfts {string.Join(", ", lows.Select(l => l.TtftMs.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task Cancelled_request_frees_its_blocks()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20 });
        using var cts = new CancellationTokenSource();
        var h = serving.Submit(new ServingRequest(Prompt("Once upon a time"), Greedy(400)), cts.Token);
        await h.Tokens.ReadAsync();
        cts.Cancel();
        var r = await h.Completion;
        Assert.Equal(FinishReason.Cancelled, r.FinishReason);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (serving.UsedBlocks != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        Assert.Equal(0, serving.UsedBlocks);
    }

    [Fact]
    public void Overflow_is_rejected_at_once_and_impossible_requests_explain_themselves()
    {
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 16 << 20, MaxWaiting = 2, MaxRunning = 1 });
        var handles = new List<ServingHandle>();
        var ex = Record.Exception(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                handles.Add(serving.Submit(new ServingRequest(Prompt("Once upon a time"), Greedy(200))));
            }
        });
        Assert.IsType<ServerOverloadedException>(ex);
        Assert.Throws<ContextLengthException>(() => serving.Submit(new ServingRequest(Prompt("Once"), Greedy(10_000))));
        long blockBytes = ServingEngine.BlockBytes(_engine.Config, new ServingOptions());
        using var tiny = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = blockBytes * 4 });
        var cap = Assert.Throws<KvCapacityException>(() => tiny.Submit(new ServingRequest(Prompt("Once"), Greedy(300))));
        Assert.Contains("raise the KV cache budget", cap.Message);
    }
}

public sealed class EngineChatClientTests
{
    [Fact]
    public async Task Chat_client_streams_the_same_text_it_returns()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        Microsoft.Extensions.AI.IChatClient client = new EngineChatClient(serving, "stories260K");
        var options = new Microsoft.Extensions.AI.ChatOptions { Temperature = 0, MaxOutputTokens = 20 };
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Once upon a time") };
        var full = await client.GetResponseAsync(messages, options);
        var streamed = new System.Text.StringBuilder();
        await foreach (var u in client.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(u.Text);
        }

        Assert.False(string.IsNullOrEmpty(full.Text));
        Assert.Equal(full.Text, streamed.ToString());
        Assert.Equal(20, full.Usage!.OutputTokenCount);
    }
}
