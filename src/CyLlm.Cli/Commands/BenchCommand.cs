using System.CommandLine;
using System.Text.Json;
using CyLlm.Engine;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm bench`: prompt-processing and generation speed, as one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var threads = CommonOptions.Threads();
        var prompt = new Option<int>("--prompt-tokens", "-p") { Description = "prompt length P", DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("--gen-tokens", "-n") { Description = "tokens to generate N", DefaultValueFactory = _ => 64 };
        var reps = new Option<int>("--repetitions", "-r") { Description = "measured runs (median reported)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "print one JSON line (the default output)" };
        var concurrency = new Option<int>("--concurrency") { Description = "concurrent streams through the serving engine (0 = single-stream generation)", DefaultValueFactory = _ => 0 };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "with --concurrency: tokens of prompt prefix shared by every request (prefix-cache TTFT)", DefaultValueFactory = _ => 0 };
        var jsonSchema = new Option<string?>("--json-schema") { Description = "with --concurrency: constrain every request to this JSON schema file (structured outputs' cost)" };
        var kvType = KvTypeOption.Create();
        var cmd = new Command("bench", "measure prompt and generation tokens/s and time to first token")
        {
            model, threads, prompt, gen, reps, json, concurrency, sharedPrefix, kvType, jsonSchema,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            int p = parse.GetValue(prompt);
            int n = parse.GetValue(gen);
            int r = parse.GetValue(reps);
            if (p < 1 || n < 0 || r < 1)
            {
                throw new ArgumentException("--prompt-tokens must be ≥ 1, --gen-tokens ≥ 0 and --repetitions ≥ 1");
            }

            string path = ModelSource.Resolve(parse.GetValue(model));
            int c = parse.GetValue(concurrency);
            var kv = KvTypeOption.Parse(parse.GetValue(kvType));
            if (c < 0 || parse.GetValue(sharedPrefix) < 0)
            {
                throw new ArgumentException("--concurrency and --shared-prefix must be ≥ 0");
            }

            if (c > 0)
            {
                return RunConcurrent(path, parse.GetValue(threads), p, n, c, parse.GetValue(sharedPrefix), kv, parse.GetValue(jsonSchema));
            }

            using var engine = InferenceEngine.Load(path, null, new EngineOptions
            {
                Threads = parse.GetValue(threads),
                ContextTokens = p + n + 1,
                MaxBatch = Math.Min(512, p),
            });
            var b = engine.Bench(p, n, r);
            var line = new
            {
                model = Path.GetFileName(path),
                engine = "cyllm",
                threads = b.Threads,
                prompt_tokens = b.PromptTokens,
                gen_tokens = b.GenTokens,
                repetitions = b.Repetitions,
                prompt_tokens_per_second = Math.Round(b.PromptTokensPerSecond, 2),
                generation_tokens_per_second = Math.Round(b.GenerationTokensPerSecond, 2),
                ttft_ms = Math.Round(b.TtftMs, 2),
                file_bytes = b.ModelFileBytes,
                kv_cache_bytes = b.KvCacheBytes,
                rss_after_load_bytes = b.ResidentBytesAfterLoad,
                peak_rss_bytes = b.PeakResidentBytes,
                kernels = Kernels(),
            };
            Console.WriteLine(JsonSerializer.Serialize(line));
            return 0;
        }));
        return cmd;
    }

    private static object Kernels() => new
    {
        q8_0 = CyLlm.Tensors.KernelInfo.Q8_0,
        q4_0 = CyLlm.Tensors.KernelInfo.Q4_0,
        k_quants = CyLlm.Tensors.KernelInfo.KQuants,
        @float = CyLlm.Tensors.KernelInfo.Float,
        native = CyLlm.Tensors.KernelInfo.NativeKernels,
    };

    private static int RunConcurrent(string path, int threads, int p, int n, int c, int sharedPrefix, CyLlm.Engine.KvCache.KvCacheType kvType, string? schemaFile)
    {
        CyLlm.Engine.Sampling.Grammars.Grammar? grammar = null;
        if (schemaFile is not null)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(schemaFile));
            grammar = CyLlm.Engine.Sampling.Grammars.Grammar.FromJsonSchema(doc.RootElement.Clone(), Path.GetFileName(schemaFile));
        }

        using var engine = InferenceEngine.Load(path, null, new EngineOptions { Threads = threads, ContextTokens = p + n + 16 });
        int blockTokens = 16;
        long blockBytes = CyLlm.Engine.Scheduling.ServingEngine.BlockBytes(engine.Config, new CyLlm.Engine.Scheduling.ServingOptions { BlockTokens = blockTokens, KvType = kvType });
        long blocksPerRequest = (p + n + blockTokens - 1) / blockTokens;
        var options = new CyLlm.Engine.Scheduling.ServingOptions
        {
            BlockTokens = blockTokens,
            KvCacheBytes = blockBytes * ((blocksPerRequest * (c + 3)) + 8),
            MaxRunning = Math.Max(c, 1),
            TokenBudget = Math.Max(256, c),
            KvType = kvType,
        };
        var r = CyLlm.Engine.Scheduling.ConcurrencyBench.RunAsync(engine, options, c, p, n, sharedPrefix, grammar).GetAwaiter().GetResult();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            model = Path.GetFileName(path),
            engine = "cyllm",
            threads = engine.Threads,
            concurrency = r.Concurrency,
            prompt_tokens = r.PromptTokens,
            gen_tokens = r.GenTokens,
            aggregate_generation_tokens_per_second = Math.Round(r.AggregateGenerationTokensPerSecond, 2),
            total_tokens_per_second = Math.Round(r.TotalTokensPerSecond, 2),
            wall_seconds = Math.Round(r.WallSeconds, 3),
            ttft_p50_ms = Math.Round(r.TtftP50Ms, 2),
            ttft_p99_ms = Math.Round(r.TtftP99Ms, 2),
            itl_p50_ms = Math.Round(r.ItlP50Ms, 2),
            itl_p99_ms = Math.Round(r.ItlP99Ms, 2),
            shared_prefix = sharedPrefix,
            cold_ttft_ms = Math.Round(r.ColdTtftMs, 2),
            prefix_hit_ttft_ms = Math.Round(r.PrefixHitTtftMs, 2),
            preemptions = r.Preemptions,
            scheduler_overhead_p50 = Math.Round(r.SchedulerOverheadP50, 4),
            scheduler_overhead_p99 = Math.Round(r.SchedulerOverheadP99, 4),
            output_processor_busy_share = Math.Round(r.OutputProcessorBusyShare, 4),
            json_schema = schemaFile is null ? null : Path.GetFileName(schemaFile),
            kv_type = kvType.ToString().ToLowerInvariant(),
            prefix_hit_rate = Math.Round(r.Status?.PrefixHitRate ?? 0, 4),
            queue_ms = Ms(r.Status?.QueueTime),
            ttft_ms = Ms(r.Status?.TimeToFirstToken),
            itl_ms = Ms(r.Status?.InterTokenLatency),
            e2e_ms = Ms(r.Status?.EndToEnd),
            kernels = Kernels(),
        }));
        return 0;
    }

    /// <summary>Window percentiles in milliseconds for the JSON line.</summary>
    private static object Ms(CyLlm.Engine.Scheduling.LatencyPercentiles? p) => new
    {
        p50 = Math.Round((p?.P50 ?? 0) * 1000, 2),
        p95 = Math.Round((p?.P95 ?? 0) * 1000, 2),
        p99 = Math.Round((p?.P99 ?? 0) * 1000, 2),
    };
}
