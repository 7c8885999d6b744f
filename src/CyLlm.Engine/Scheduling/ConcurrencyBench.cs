using System.Diagnostics;
using CyLlm.Engine.Sampling;
using Grammars = CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// `cyllm bench --concurrency C`: C requests of P prompt tokens (distinct prompts, or a shared prefix) and N
/// generated tokens each, submitted at once to the serving engine. Reports aggregate generation speed over the
/// decode phase (like llama-batched-bench's S_TG), end-to-end throughput, and latency percentiles.
/// </summary>
public static class ConcurrencyBench
{
    public sealed record Result(
        int Concurrency,
        int PromptTokens,
        int GenTokens,
        double AggregateGenerationTokensPerSecond,
        double TotalTokensPerSecond,
        double WallSeconds,
        double TtftP50Ms,
        double TtftP99Ms,
        double ItlP50Ms,
        double ItlP99Ms,
        double ColdTtftMs,
        double PrefixHitTtftMs,
        long Preemptions,
        double SchedulerOverheadP50,
        double SchedulerOverheadP99)
    {
        /// <summary>The engine's status after the measured run (window percentiles, prefix-cache hit rate).</summary>
        public ServingStatus? Status { get; init; }

        /// <summary>Share of the measured run's wall time the output processor thread was busy (detokenizing, stop
        /// strings, channel writes, metrics) — off the loop, so not part of <see cref="SchedulerOverheadP50"/>.</summary>
        public double OutputProcessorBusyShare { get; init; }
    }

    /// <param name="grammar">A constraint for every request (structured outputs' cost), or null.</param>
    public static async Task<Result> RunAsync(InferenceEngine engine, ServingOptions options, int concurrency, int promptTokens, int genTokens, int sharedPrefix, Grammars.Grammar? grammar = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        using var serving = new ServingEngine(engine, options);
        int vocab = engine.Config.VocabSize;
        int bos = engine.Tokenizer?.BosId ?? 1;
        int[] MakePrompt(uint seed, uint prefixSeed = 42)
        {
            var p = PromptSynth.Tokens(promptTokens, vocab, seed, bos);
            if (sharedPrefix > 0)
            {
                var prefix = PromptSynth.Tokens(Math.Min(sharedPrefix, promptTokens), vocab, prefixSeed, bos);
                prefix.CopyTo(p, 0);
            }

            return p;
        }

        var sampling = new SamplingParams { Temperature = 0, MaxTokens = genTokens, IgnoreEos = true, Grammar = grammar };

        // Warm-up (JIT tiers, page faults): the same shape of work, unmeasured, at least twice and for at least
        // 2 s. A single stream's pass takes ~0.2 s, too short for tiered compilation to promote the hot loops
        // (counting starts after 100 ms without new tier-0 code, then compiles in the background): the measured
        // pass then ran partly in instrumented code, at under half its steady speed.
        long warm = Stopwatch.GetTimestamp();
        for (int pass = 0; pass < 12 && (pass < 2 || Stopwatch.GetElapsedTime(warm).TotalSeconds < 2); pass++)
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => serving.GenerateAsync(new ServingRequest(MakePrompt((uint)(1000 + (pass * concurrency) + i)), sampling))));
        }

        double cold = 0, hit = 0;
        if (sharedPrefix > 0)
        {
            // A prefix nothing has seen yet: the first request computes it cold and fills the cache; the
            // second, with the same prefix and a different tail, hits it.
            var c = await serving.GenerateAsync(new ServingRequest(MakePrompt(2000, 777), sampling with { MaxTokens = 1 }));
            var h = await serving.GenerateAsync(new ServingRequest(MakePrompt(3000, 777), sampling with { MaxTokens = 1 }));
            cold = c.TtftMs;
            hit = h.TtftMs;
        }

        serving.Metrics.ClearWindows(); // percentiles of the measured run only
        long start = Stopwatch.GetTimestamp();
        long outputBusy = serving.OutputBusyTicks;
        var handles = Enumerable.Range(0, concurrency).Select(i => serving.Submit(new ServingRequest(MakePrompt((uint)(i + 1)), sampling))).ToArray();
        var results = await Task.WhenAll(handles.Select(h => h.Completion));
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double outputShare = (double)(serving.OutputBusyTicks - outputBusy) / Stopwatch.Frequency / wall;
        double lastFirstToken = results.Max(r => r.TtftMs) / 1000;
        long generated = results.Sum(r => (long)r.TokenIds.Length);
        // Decode phase: after every request produced its first token (prefills done).
        double decodeSeconds = Math.Max(1e-9, wall - lastFirstToken);
        double decodeTokens = generated - concurrency;
        var m = serving.Metrics;
        return new Result(
            concurrency, promptTokens, genTokens,
            decodeTokens / decodeSeconds,
            (generated + ((long)promptTokens * concurrency)) / wall,
            wall,
            m.TtftWindow.Percentile(0.5) * 1000, m.TtftWindow.Percentile(0.99) * 1000,
            m.InterTokenWindow.Percentile(0.5) * 1000, m.InterTokenWindow.Percentile(0.99) * 1000,
            cold, hit, serving.TotalPreemptions,
            m.SchedulerOverhead.Percentile(0.5), m.SchedulerOverhead.Percentile(0.99))
        {
            Status = serving.GetStatus(),
            OutputProcessorBusyShare = outputShare,
        };
    }
}
