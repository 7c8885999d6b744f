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
        var cmd = new Command("bench", "measure prompt and generation tokens/s and time to first token")
        {
            model, threads, prompt, gen, reps, json,
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

            string path = parse.GetValue(model)!;
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
            };
            Console.WriteLine(JsonSerializer.Serialize(line));
            return 0;
        }));
        return cmd;
    }
}
