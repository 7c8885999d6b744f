using System.Globalization;
using System.Net;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>
/// Prefill and decode as separate processes (<c>CyLlm.Disaggregation.Worker</c>) exchanging KV over loopback TCP, meeting
/// through a bootstrap registry this test hosts (it plays the router: it picks the room ids and sends each request to both).
/// </summary>
public sealed class TwoProcessTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);

    private readonly BootstrapServer _bootstrap = new(IPAddress.Loopback, 0);

    public void Dispose() => _bootstrap.Dispose();

    public static TheoryData<string, int> Models => new() { { "stories260K", 512 }, { "synthetic-tiny-f32", 256 } };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Greedy_output_through_prefill_and_decode_processes_equals_colocated(string model, int context)
    {
        string path = model == "stories260K" ? TestPaths.Model("stories260K.gguf") : SyntheticModels.Get("tiny", "f32");
        using var local = InferenceEngine.Load(path, null, new EngineOptions { Threads = 1, ContextTokens = context });
        var all = local.Encode(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily who loved to play in the park. ", 40)));
        // Decode grants 64 tokens at a time: inside one grant, one Resume, several Resumes.
        int[][] prompts = [all[..30], all[..100], all[..(context - 40)]];
        const int Gen = 24;
        using var colocated = new ServingEngine(local, new ServingOptions { KvCacheBytes = 8 << 20 });
        var expected = new List<int[]>();
        foreach (var p in prompts)
        {
            expected.Add((await colocated.GenerateAsync(new ServingRequest(p, new SamplingParams { Temperature = 0, MaxTokens = Gen, IgnoreEos = true }))).TokenIds);
        }

        using var prefill = Start("prefill", path, context);
        using var decode = Start("decode", path, context);
        await prefill.WaitForLineAsync(l => l.StartsWith("ready", StringComparison.Ordinal), Generous);
        await decode.WaitForLineAsync(l => l.StartsWith("ready", StringComparison.Ordinal), Generous);
        for (int i = 0; i < prompts.Length; i++)
        {
            string room = (100 + i).ToString(CultureInfo.InvariantCulture);
            string tokens = string.Join(',', prompts[i]);
            await prefill.SendLineAsync($"prefill {room} {tokens}");
            await decode.SendLineAsync($"decode {room} {Gen} {tokens}");
        }

        for (int i = 0; i < prompts.Length; i++)
        {
            string room = (100 + i).ToString(CultureInfo.InvariantCulture);
            string got = await decode.WaitForLineAsync(l => l.StartsWith($"result {room} ", StringComparison.Ordinal), Generous);
            Assert.Equal($"result {room} ok {string.Join(',', expected[i])}", got);
            Assert.Equal($"result {room} ok", await prefill.WaitForLineAsync(l => l.StartsWith($"result {room}", StringComparison.Ordinal), Generous));
        }

        Assert.Equal("kv 0 0", await QueryKv(decode));
        Assert.Equal("kv 0 0", await QueryKv(prefill));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Killing_a_worker_mid_transfer_fails_the_room_and_frees_the_survivors_blocks(bool killPrefill)
    {
        string path = TestPaths.Model("stories260K.gguf");
        using var local = InferenceEngine.Load(path, null, new EngineOptions { Threads = 1, ContextTokens = 512 });
        var prompt = local.Encode(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. ", 20)))[..300];
        // The prefill worker sends one chunk and then stalls (still beating): the room is mid-transfer until a kill.
        using var prefill = Start("prefill", path, 512, "--stall-after", "1", "--alloc", "32");
        using var decode = Start("decode", path, 512, "--alloc", "32");
        await prefill.WaitForLineAsync(l => l.StartsWith("ready", StringComparison.Ordinal), Generous);
        await decode.WaitForLineAsync(l => l.StartsWith("ready", StringComparison.Ordinal), Generous);
        Assert.Equal("kv 0 0", await QueryKv(decode));
        Assert.Equal("kv 0 0", await QueryKv(prefill));
        string tokens = string.Join(',', prompt);
        await prefill.SendLineAsync($"prefill 5 {tokens}");
        await decode.SendLineAsync($"decode 5 8 {tokens}");

        // Mid-transfer: the first chunk arrived and the decode side allocated the next grant (2 + 2 blocks).
        var deadline = DateTime.UtcNow + Generous;
        while (UsedBlocks(await QueryKv(decode)) < 4)
        {
            Assert.DoesNotContain(decode.Lines, l => l.StartsWith("result 5 ", StringComparison.Ordinal));
            Assert.True(DateTime.UtcNow < deadline, $"the transfer never started; prefill: {string.Join(" | ", prefill.Lines)} {prefill.StdErr}; decode: {string.Join(" | ", decode.Lines.TakeLast(5))} {decode.StdErr}");
        }

        var (victim, survivor) = killPrefill ? (prefill, decode) : (decode, prefill);
        await victim.KillAsync();
        string result = await survivor.WaitForLineAsync(l => l.StartsWith("result 5 ", StringComparison.Ordinal), Generous);
        Assert.Matches("^result 5 error (PeerDisconnected|HeartbeatTimeout)$", result);
        Assert.Equal("kv 0 0", await QueryKv(survivor)); // back to the baseline
    }

    private static int _tag;

    /// <summary>Asks a worker for "kv USED_BLOCKS ACTIVE_ROOMS" (a tagged request, so an older answer never matches).</summary>
    private static async Task<string> QueryKv(WorkerProcess w)
    {
        string tag = Interlocked.Increment(ref _tag).ToString(CultureInfo.InvariantCulture);
        await w.SendLineAsync($"kv {tag}");
        string line = await w.WaitForLineAsync(l => l.StartsWith($"kv {tag} ", StringComparison.Ordinal), Generous);
        return "kv " + line[($"kv {tag} ".Length)..];
    }

    private static int UsedBlocks(string kvLine) => int.Parse(kvLine.Split(' ')[1], CultureInfo.InvariantCulture);

    private WorkerProcess Start(string role, string model, int context, params string[] extra) =>
        WorkerProcess.Start([role, "--model", model, "--bootstrap", _bootstrap.Endpoint.ToString(), "--context", context.ToString(CultureInfo.InvariantCulture),
            // 100 ms beats, 10 missed: a killed process is noticed at once (its sockets close) or within 1 s, while a
            // loaded test machine does not stall a live worker long enough to be declared dead.
            "--heartbeat-ms", "100", "--missed", "10", .. extra]);
}
