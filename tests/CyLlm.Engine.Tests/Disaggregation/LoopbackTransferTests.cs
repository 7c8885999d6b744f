using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>
/// Prefill and decode engines (each with its own model instance and KV pool) exchanging KV over loopback TCP in one
/// process: greedy output equals co-located serving token for token, for prompts inside one allocation, needing one
/// Resume and needing several; duplicated Init/Resume change nothing and are counted.
/// </summary>
public sealed class LoopbackTransferTests : IDisposable
{
    private readonly InferenceEngine _prefillModel = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ContextTokens = 512 });
    private readonly InferenceEngine _decodeModel = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1, ContextTokens = 512 });

    public void Dispose()
    {
        _prefillModel.Dispose();
        _decodeModel.Dispose();
    }

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    private int[] Prompt(int tokens)
    {
        var ids = _prefillModel.Encode(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily who loved to play in the park. ", 40)));
        Assert.True(ids.Length >= tokens);
        return ids[..tokens];
    }

    [Theory]
    [InlineData(30, 0)]    // inside the first allocation (64 tokens)
    [InlineData(100, 1)]   // one Resume
    [InlineData(300, 4)]   // several Resumes
    public async Task Greedy_output_equals_colocated_serving(int promptTokens, int resumes)
    {
        var prompt = Prompt(promptTokens);
        using var colocated = new ServingEngine(_decodeModel, new ServingOptions { KvCacheBytes = 8 << 20 });
        var expected = (await colocated.GenerateAsync(new ServingRequest(prompt, Greedy(40)))).TokenIds;
        colocated.Dispose();

        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel, new DisaggregationOptions { AllocationTokens = 64, MaxChunkTokens = 48 });
        var room = new RoomId(42);
        var request = new ServingRequest(prompt, Greedy(40));
        var prefill = pair.Prefill.PrefillAsync(room, request);
        var handle = await pair.Decode.GenerateAsync(room, request);
        var result = await handle.Completion;
        await prefill;
        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(1, pair.Decode.Metrics.Successes);
        Assert.Equal(resumes, pair.Prefill.Metrics.Successes == 1 ? ResumesOf(pair) : -1);
        Assert.Equal(0, pair.Decode.Metrics.DuplicatesIgnored);
        await pair.AssertDrainedAsync();
    }

    [Theory]
    [InlineData(Engine.KvCache.KvCacheType.F32)]
    [InlineData(Engine.KvCache.KvCacheType.Q8_0)]
    public async Task Other_kv_element_types_transfer_identically(Engine.KvCache.KvCacheType kvType)
    {
        var prompt = Prompt(150);
        using var colocated = new ServingEngine(_decodeModel, new ServingOptions { KvCacheBytes = 8 << 20, KvType = kvType });
        var expected = (await colocated.GenerateAsync(new ServingRequest(prompt, Greedy(24)))).TokenIds;
        colocated.Dispose();

        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel, new DisaggregationOptions { AllocationTokens = 64 }, kvType);
        var request = new ServingRequest(prompt, Greedy(24));
        var prefill = pair.Prefill.PrefillAsync(new RoomId(3), request);
        var result = await (await pair.Decode.GenerateAsync(new RoomId(3), request)).Completion;
        await prefill;
        Assert.Equal(expected, result.TokenIds);
        Assert.Equal((long)pair.DecodeEngine.KvLayout.BlockBytes * 10, pair.Decode.Metrics.Bytes); // 149 positions: 10 blocks
        await pair.AssertDrainedAsync();
    }

    [Fact]
    public async Task Duplicated_init_and_resume_change_nothing_and_are_counted()
    {
        var prompt = Prompt(200);
        using var colocated = new ServingEngine(_decodeModel, new ServingOptions { KvCacheBytes = 8 << 20 });
        var expected = (await colocated.GenerateAsync(new ServingRequest(prompt, Greedy(24)))).TokenIds;
        colocated.Dispose();

        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel,
            new DisaggregationOptions { AllocationTokens = 64, DuplicateControlMessages = true });
        var request = new ServingRequest(prompt, Greedy(24));
        var prefill = pair.Prefill.PrefillAsync(new RoomId(7), request);
        var result = await (await pair.Decode.GenerateAsync(new RoomId(7), request)).Completion;
        await prefill;
        Assert.Equal(expected, result.TokenIds);
        // 199 KV tokens in grants of 64: Init + 3 Resumes, each sent twice; every copy ignored, nothing sent twice.
        Assert.Equal(4, pair.Prefill.Metrics.DuplicatesIgnored);
        Assert.Equal(0, pair.Decode.Metrics.DuplicatesIgnored);
        Assert.Equal(pair.Prefill.Metrics.Bytes, pair.Decode.Metrics.Bytes);
        await pair.AssertDrainedAsync();
    }

    [Fact]
    public async Task A_room_no_prefill_worker_registers_fails_with_bootstrap_timeout_and_frees_nothing()
    {
        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel,
            new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromMilliseconds(200) });
        var ex = await Assert.ThrowsAsync<KvTransferException>(() => pair.Decode.GenerateAsync(new RoomId(9), new ServingRequest(Prompt(20), Greedy(4))));
        Assert.Equal(TransferFailure.BootstrapTimeout, ex.Reason);
        Assert.Contains("room#9", ex.Message);
        await pair.AssertDrainedAsync();
    }

    [Fact]
    public async Task A_failed_transfer_can_fall_back_to_colocated_generation()
    {
        var prompt = Prompt(50);
        await using var pair = await DisaggregatedPair.StartAsync(_prefillModel, _decodeModel,
            new DisaggregationOptions { BootstrapTimeout = TimeSpan.FromMilliseconds(100), FallbackToColocated = true });
        using var colocated = new ServingEngine(_prefillModel, new ServingOptions { KvCacheBytes = 8 << 20 });
        var expected = (await colocated.GenerateAsync(new ServingRequest(prompt, Greedy(16)))).TokenIds;
        var result = await (await pair.Decode.GenerateAsync(new RoomId(11), new ServingRequest(prompt, Greedy(16)))).Completion;
        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(1, pair.Decode.Metrics.Failures);
    }

    private static int ResumesOf(DisaggregatedPair pair) => pair.PrefillResumes;
}
