using System.Diagnostics;
using System.Globalization;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Disaggregation.Worker;

/// <summary>
/// <c>bench --model PATH [--prompt 1024] [--reps 5] [--transfer-tokens 2000]</c>: KV transfer throughput over loopback
/// TCP and TTFT of disaggregated vs co-located serving (bench/disagg.sh). Prints one JSON line.
/// </summary>
internal static class Bench
{
    public static async Task<int> RunAsync(string model, int promptTokens, int reps, int transferTokens)
    {
        int context = Math.Max(promptTokens, transferTokens) + 64;
        var engineOptions = new EngineOptions { Threads = 1, ContextTokens = context };
        using var prefillModel = InferenceEngine.Load(model, null, engineOptions);
        using var decodeModel = InferenceEngine.Load(model, null, engineOptions);
        // No prefix cache: every repetition computes its prompt (random tokens, different per repetition anyway).
        var serving = new ServingOptions { KvCacheBytes = 512L << 20, PrefixCaching = false, TokenBudget = 512 };
        var rng = new Random(1234);
        int[] RandomPrompt(int n)
        {
            var p = new int[n];
            for (int i = 0; i < n; i++)
            {
                p[i] = rng.Next(3, decodeModel.Config.VocabSize);
            }

            return p;
        }

        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 1, IgnoreEos = true };

        // Co-located TTFT.
        var colocatedMs = new List<double>();
        using (var colocated = new ServingEngine(decodeModel, serving))
        {
            await colocated.GenerateAsync(new ServingRequest(RandomPrompt(promptTokens), sampling)); // warm-up
            for (int r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                var h = colocated.Submit(new ServingRequest(RandomPrompt(promptTokens), sampling));
                await h.Tokens.ReadAsync();
                colocatedMs.Add(sw.Elapsed.TotalMilliseconds);
                await h.Completion;
            }
        }

        using var prefillEngine = new ServingEngine(prefillModel, serving);
        using var decodeEngine = new ServingEngine(decodeModel, serving);
        var registry = new InMemoryBootstrapRegistry();
        // A generous heartbeat limit: on a heavily shared machine a live process can stall for seconds, and this
        // measures throughput, not failure detection.
        var options = new DisaggregationOptions { AllocationTokens = 4096, MaxChunkTokens = 4096, MissedHeartbeats = 20 };
        await using var prefill = new PrefillServer(prefillEngine, registry, options);
        await using var decode = new DecodeClient(decodeEngine, registry, options);
        ulong room = 1;
        async Task<double> Disaggregated(int[] prompt)
        {
            var request = new ServingRequest(prompt, sampling);
            var id = new RoomId(room++);
            var sw = Stopwatch.StartNew();
            var p = prefill.PrefillAsync(id, request);
            var h = await decode.GenerateAsync(id, request);
            await h.Tokens.ReadAsync();
            double ms = sw.Elapsed.TotalMilliseconds;
            await h.Completion;
            await p;
            return ms;
        }

        await Disaggregated(RandomPrompt(promptTokens)); // warm-up
        var disaggMs = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            disaggMs.Add(await Disaggregated(RandomPrompt(promptTokens)));
        }

        // Transfer throughput: long prompts, one grant; bytes over first-chunk-to-last-chunk time on the decode side.
        long bytes0 = decode.Metrics.Bytes;
        var time0 = decode.Metrics.TransferTime;
        for (int r = 0; r < reps; r++)
        {
            await Disaggregated(RandomPrompt(transferTokens));
        }

        long bytes = decode.Metrics.Bytes - bytes0;
        double seconds = (decode.Metrics.TransferTime - time0).TotalSeconds;
        colocatedMs.Sort();
        disaggMs.Sort();
        double c = colocatedMs[colocatedMs.Count / 2];
        double d = disaggMs[disaggMs.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\":\"{Path.GetFileName(model)}\",\"prompt_tokens\":{promptTokens},\"reps\":{reps},\"ttft_colocated_ms_p50\":{c:F1},\"ttft_disaggregated_ms_p50\":{d:F1},\"ttft_ratio\":{d / c:F3},\"transfer_tokens\":{transferTokens},\"transfer_bytes\":{bytes},\"transfer_seconds\":{seconds:F4},\"transfer_gb_per_s\":{bytes / seconds / 1e9:F2},\"block_bytes\":{decodeEngine.KvLayout.BlockBytes}}}"));
        return 0;
    }
}
