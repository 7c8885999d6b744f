using System.CommandLine;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;

namespace CyLlm.Cli.Commands;

/// <summary>`cyllm generate`: continue a prompt and print the text (or one JSON line with --json).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        model.Required = false; // absent: the built-in default model (DefaultModel)
        model.Description += " (default: the built-in models/cyllm-default.gguf)";
        var tokenizer = CommonOptions.Tokenizer();
        var threads = CommonOptions.Threads();
        var context = CommonOptions.Context();
        var prompt = new Option<string>("--prompt") { Description = "prompt text (empty: start from BOS)", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "tokens to generate at most", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "keep the K most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "minimum probability relative to the best (0 = off)", DefaultValueFactory = _ => 0f };
        var repeat = new Option<float>("--repetition-penalty") { Description = "1 = off", DefaultValueFactory = _ => 1f };
        var seed = new Option<long?>("--seed") { Description = "seed for reproducible sampling" };
        var stop = new Option<string[]>("--stop") { Description = "stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "print one JSON line with token ids, text and timings" };
        var cmd = new Command("generate", "generate text from a prompt")
        {
            model, tokenizer, threads, context, prompt, maxTokens, temperature, topK, topP, minP, repeat, seed, stop, json,
        };
        cmd.SetAction(CliRunner.Guard(parse =>
        {
            var sampling = new SamplingParams
            {
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP),
                RepetitionPenalty = parse.GetValue(repeat),
                Seed = parse.GetValue(seed),
                MaxTokens = parse.GetValue(maxTokens),
                Stop = parse.GetValue(stop) ?? [],
            };
            if (sampling.Validate() is { } error)
            {
                throw new ArgumentException(error);
            }

            using var engine = InferenceEngine.Load(ModelSource.Resolve(parse.GetValue(model)), parse.GetValue(tokenizer), new EngineOptions
            {
                Threads = parse.GetValue(threads),
                ContextTokens = parse.GetValue(context),
            });
            bool asJson = parse.GetValue(json);
            var stdout = Console.Out;
            var result = engine.Generate(
                new GenerationRequest { Prompt = parse.GetValue(prompt) ?? "", Sampling = sampling },
                asJson ? null : t => stdout.Write(t.TextDelta));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    prompt_token_ids = result.PromptTokenIds,
                    token_ids = result.TokenIds,
                    text = result.Text,
                    finish_reason = result.FinishReason == FinishReason.Stop ? "stop" : "length",
                    timings = new
                    {
                        prompt_ms = Math.Round(result.PromptMs, 3),
                        generation_ms = Math.Round(result.GenerationMs, 3),
                        ttft_ms = Math.Round(result.TtftMs, 3),
                        prompt_tokens_per_second = Math.Round(result.PromptTokensPerSecond, 2),
                        generation_tokens_per_second = Math.Round(result.GenerationTokensPerSecond, 2),
                    },
                }));
            }
            else
            {
                stdout.WriteLine();
            }

            return 0;
        }));
        return cmd;
    }
}
