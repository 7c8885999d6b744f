using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Models;
using CyLlm.Tensors;

namespace CyLlm.Engine.Tests;

/// <summary>
/// gpt-oss against llama.cpp: the synthetic models of scripts/golden/gen_gptoss.py (<see cref="SyntheticGptOss"/>) and
/// llama.cpp's run of them (TestData/llamacpp/gptoss-*.json, scripts/golden/llama_cpp_gptoss.sh: F32 KV cache, no flash
/// attention). The prompt is a harmony conversation of 133 tokens, so the window-16 model's sliding layers cut it and
/// the window-4096 model's do not. Teacher-forced like <see cref="LowBitLlamaCppTests"/>: at every one of the 32 steps
/// CyLlm scores the prompt plus llama.cpp's ids so far, so a near-tie does not end the comparison.
/// </summary>
public sealed class GptOssLlamaCppTests
{
    /// <summary>The prompt of llama_cpp_gptoss.sh: the template's system header (date fixed) and one user turn.</summary>
    internal const string Prompt = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\nCurrent date: 2026-12-07\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|><|start|>user<|message|>Once upon a time, what did the quick brown fox say?<|end|><|start|>assistant";

    private static SamplingParams Greedy(int n) => new() { Temperature = 0, MaxTokens = n, IgnoreEos = true };

    [SkippableFact]
    public void The_synthetic_model_loads_as_gpt_oss_with_its_features()
    {
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2 });
        var c = engine.Config;
        Assert.Equal(ModelArchitecture.GptOss, c.Architecture);
        Assert.Equal((16, 4, 128, 64), (c.ExpertCount, c.ExpertUsedCount, c.HiddenDim, c.HeadDim));
        Assert.Equal((8, 2), (c.Heads, c.KvHeads));
        Assert.Equal(ExpertGating.SoftmaxOverSelected, c.ExpertGating);
        Assert.False(c.ExpertWeightsNormalized);
        Assert.True(c.ExpertBiases && c.AttentionSinks && c.AttentionOutputBias && c.AttentionBias && c.FfnNormIsPostAttentionNorm);
        Assert.Equal((7f, 1.702f), (c.SwiGluLimit, c.SwiGluAlpha));
        Assert.Equal(RopeLayout.HalfSplit, c.RopeLayout);
        Assert.NotNull(c.Yarn);
        Assert.False(c.TiedEmbeddings);
        // llama.cpp's load_swa_pattern(ml, 2): the even layers slide, the odd ones see everything.
        Assert.Equal(16, c.SlidingWindow);
        Assert.Equal([true, false, true, false], Enumerable.Range(0, c.Layers).Select(c.IsLocalLayer));
    }

    [SkippableFact]
    public void Return_and_call_end_a_generation_but_end_only_closes_a_message_as_in_llama_cpp()
    {
        // llama.cpp's o200k_harmony workaround: with <|return|> and <|call|> in the vocabulary, <|end|> (which closes the
        // analysis message before the final one) leaves the end-of-generation set.
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2 });
        var tok = engine.Tokenizer!;
        int Id(string text) => Assert.Single(engine.Encode(text));
        Assert.Contains(Id("<|return|>"), tok.EndOfGenerationIds);
        Assert.Contains(Id("<|call|>"), tok.EndOfGenerationIds);
        Assert.DoesNotContain(Id("<|end|>"), tok.EndOfGenerationIds);
        // The template the file carries is harmony: every reply is parsed into its channels.
        Assert.Equal(CyLlm.ChatTemplates.Tools.ToolCallFamily.Harmony, engine.ToolDialect.Family);
    }

    [SkippableFact]
    public void A_forced_call_under_the_harmony_grammar_is_parsed_as_that_call()
    {
        // The random model would never call a tool; the call grammar makes it write one in harmony form (the markers as
        // the tokens it has), and the harmony parser reads it back.
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var schema = System.Text.Json.JsonDocument.Parse("{\"type\": \"object\", \"properties\": {\"city\": {\"enum\": [\"Paris\", \"Rome\"]}}, \"required\": [\"city\"], \"additionalProperties\": false}").RootElement.Clone();
        var tools = new[] { new CyLlm.ChatTemplates.ChatTool("get_weather", "Weather in a city", schema) };
        string gbnf = CyLlm.ChatTemplates.Tools.ToolCallGrammar.Build(CyLlm.ChatTemplates.Tools.ToolCallFamily.Harmony, tools, CyLlm.ChatTemplates.Tools.ToolChoice.Required, false,
            (s, prefix) => CyLlm.Engine.Sampling.Grammars.JsonSchemaGrammar.ToGbnf(s, prefix, "tools.parameters", compact: true));
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 64, RenderSpecialTokens = true, Grammar = CyLlm.Engine.Sampling.Grammars.Grammar.FromGbnf(gbnf) };
        var r = engine.Generate(new GenerationRequest { PromptTokens = engine.Encode(Prompt), Sampling = sampling });
        var (content, _, calls) = CyLlm.ChatTemplates.Tools.ToolCallParser.Split(engine.ToolDialect.CreateParser(), r.Text);
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Contains(System.Text.Json.JsonDocument.Parse(call.Arguments).RootElement.GetProperty("city").GetString(), (string[])["Paris", "Rome"]);
        Assert.Null(content);
    }

    [SkippableTheory]
    [InlineData("gptoss-w16-tiny-f32.json")]
    [InlineData("gptoss-w4096-tiny-f32.json")]
    [InlineData("gptoss-w16-tiny-mxfp4_moe.json")]
    public void The_harmony_prompt_tokenizes_to_llama_cpp_s_ids(string goldenName)
    {
        var golden = LlamaCppGolden.Load(goldenName);
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2 });
        // The file says add_bos_token false (as the real gpt-oss files do): no BOS in front.
        Assert.Equal(golden.Input, engine.Encode(Prompt));
    }

    [SkippableTheory]
    [InlineData(16)]
    [InlineData(4096)]
    public void F32_top10_logits_match_llama_cpp_within_1e3_and_greedy_ids_where_it_has_a_clear_winner(int window)
    {
        var golden = LlamaCppGolden.Load($"gptoss-w{window}-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(window), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        TeacherForced(engine, golden, 1e-3f, 0.02f, 20);
    }

    [SkippableTheory]
    [InlineData("f32", 0.02f, 20)]
    [InlineData("mxfp4_moe", 0.06f, 5)]
    public void Greedy_ids_match_llama_cpp_until_the_first_near_tie(string type, float gap, int atLeast)
    {
        var golden = LlamaCppGolden.Load($"gptoss-w16-tiny-{type}.json");
        string path = type == "f32" ? SyntheticGptOss.Get(16) : SyntheticGptOss.Mxfp4Moe();
        using var engine = InferenceEngine.Load(path, null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        var r = engine.Generate(new GenerationRequest { PromptTokens = golden.Input, Sampling = Greedy(golden.Generated.Length) });
        int comparable = golden.StepsBeforeFirstGapBelow(gap);
        Assert.True(comparable >= atLeast, $"the golden file has only {comparable} steps with a clear winner");
        Assert.Equal(golden.Generated.Take(comparable), r.TokenIds.Take(comparable));
    }

    [SkippableFact]
    public void Mxfp4_experts_quantized_by_llama_quantize_match_llama_cpp()
    {
        var golden = LlamaCppGolden.Load("gptoss-w16-tiny-mxfp4_moe.json");
        using var engine = InferenceEngine.Load(SyntheticGptOss.Mxfp4Moe(), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        Assert.Equal(GgmlType.MXFP4, engine.Model.Get("blk.0.ffn_gate_exps.weight").Type);
        Assert.Equal(GgmlType.MXFP4, engine.Model.Get("blk.3.ffn_down_exps.weight").Type);
        // The other matrices are Q8_0, the router stays F32. Both engines round the activations to Q8_0 blocks for these
        // matmuls: 30 of the 32 steps agree within 6e-3 here. At steps 9 and 23 a router near-tie tips the other way
        // in one engine (a different expert, whose large biased output moves the logits by 0.1-0.2): up to 3 such
        // steps are allowed. A wrong nibble order or scale would move every step by whole units.
        TeacherForced(engine, golden, 0.01f, 0.1f, 6, outliers: 3);
    }

    /// <summary>At each step s, the logits of prompt + llama.cpp's first s ids: every top-10 logit within
    /// <paramref name="tolerance"/> (at all but <paramref name="outliers"/> steps), and, at the steps that agree, the
    /// arg-max llama.cpp's where its top-2 gap exceeds <paramref name="gap"/> (at least <paramref name="minDecided"/>
    /// such steps).</summary>
    private static void TeacherForced(InferenceEngine engine, LlamaCppGolden golden, float tolerance, float gap, int minDecided, int outliers = 0)
    {
        int decided = 0;
        var off = new List<string>();
        for (int s = 0; s < golden.TopSteps.Length && s < golden.Generated.Length; s++)
        {
            var logits = engine.PromptLogits(golden.Input.Concat(golden.Generated.Take(s)).ToArray());
            var worst = golden.TopSteps[s].MaxBy(p => Math.Abs(logits[p.Id] - p.Logit));
            if (Math.Abs(logits[worst.Id] - worst.Logit) >= tolerance)
            {
                off.Add($"step {s}, token {worst.Id}: {logits[worst.Id]} vs llama.cpp {worst.Logit}");
                Assert.True(off.Count <= outliers, string.Join("; ", off));
                continue;
            }

            var top = golden.TopSteps[s];
            if (top[0].Logit - top[1].Logit > gap)
            {
                Assert.Equal(top[0].Id, Array.IndexOf(logits, logits.Max()));
                decided++;
            }
        }

        Assert.True(decided >= minDecided, $"only {decided} steps with a clear winner in the golden");
    }

    [SkippableFact]
    public async Task The_serving_engine_batches_gpt_oss_requests_to_the_single_stream_ids()
    {
        var golden = LlamaCppGolden.Load("gptoss-w16-tiny-f32.json");
        using var engine = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        // The golden prompt beside shorter ones (some inside the window, some beyond it), so prefill and decode rows of
        // several sequences share batches, expert groups and sliding-window bounds.
        int[][] prompts =
        [
            golden.Input,
            golden.Input[..10],
            golden.Input[40..70],
            golden.Input[..3],
        ];
        var alone = prompts.Select(p => engine.Generate(new GenerationRequest { PromptTokens = p, Sampling = Greedy(12) }).TokenIds).ToArray();
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 16 << 20, TokenBudget = 8, KvType = KvCacheType.F32 });
        var results = await Task.WhenAll(prompts.Select(p => serving.GenerateAsync(new ServingRequest(p, Greedy(12)))));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], results[i].TokenIds);
        }

        Assert.Equal(0, serving.UsedBlocks);
    }

    [SkippableFact]
    public void A_window_longer_than_the_prompt_changes_nothing_and_a_shorter_one_changes_the_logits()
    {
        // The two files hold the same weights; only gpt-oss.attention.sliding_window differs (16 vs 4096).
        var golden = LlamaCppGolden.Load("gptoss-w16-tiny-f32.json");
        using var narrow = InferenceEngine.Load(SyntheticGptOss.Get(16), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        using var wide = InferenceEngine.Load(SyntheticGptOss.Get(4096), null, new EngineOptions { Threads = 2, ContextTokens = 256 });
        // 16 tokens: every query sees all its keys under both windows, bit for bit the same computation.
        int[] inside = golden.Input[..16];
        Assert.Equal(wide.PromptLogits(inside), narrow.PromptLogits(inside));
        // 17 tokens: the last query of a sliding layer loses key 0 under window 16.
        int[] beyond = golden.Input[..17];
        Assert.NotEqual(wide.PromptLogits(beyond), narrow.PromptLogits(beyond));
    }

    [SkippableFact]
    public void The_attention_sinks_matter_a_very_negative_sink_is_plain_softmax()
    {
        // A copy with every sink at -1e4 (exp(sink - max) = 0: the plain softmax) must give other logits than the file.
        string path = SyntheticGptOss.Get(16);
        string copy = Path.Combine(Path.GetTempPath(), $"cyllm-gptoss-no-sinks-{Environment.ProcessId}.gguf");
        try
        {
            var bytes = File.ReadAllBytes(path);
            using (var e = InferenceEngine.Load(path, null, new EngineOptions { Threads = 2 }))
            {
                // gen_gptoss.py writes token_embd.weight first, at offset 0 of the data section.
                long dataOffset = Convert.ToInt64(e.Model.Metadata["gguf.data_offset"], System.Globalization.CultureInfo.InvariantCulture);
                nint origin = e.Model.Get("token_embd.weight").Data;
                for (int l = 0; l < e.Config.Layers; l++)
                {
                    var t = e.Model.Get($"blk.{l}.attn_sinks.weight");
                    var sinks = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(dataOffset + (t.Data - origin)), (int)t.ByteLength));
                    sinks.Fill(-1e4f);
                }
            }

            File.WriteAllBytes(copy, bytes);
            int[] prompt = LlamaCppGolden.Load("gptoss-w16-tiny-f32.json").Input[..20];
            using var a = InferenceEngine.Load(path, null, new EngineOptions { Threads = 2 });
            using var b = InferenceEngine.Load(copy, null, new EngineOptions { Threads = 2 });
            var la = a.PromptLogits(prompt);
            var lb = b.PromptLogits(prompt);
            Assert.True(la.Zip(lb).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the sinks did not move the logits");
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
