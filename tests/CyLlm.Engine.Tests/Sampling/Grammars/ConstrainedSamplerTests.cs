using System.Text;
using System.Text.Json;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class ConstrainedSamplerTests
{
    private const string PersonSchema = """
        {"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120},
         "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3}},"required":["name","age","tags"],"additionalProperties":false}
        """;

    /// <summary>Decodes with random logits until EOG; checks EOG only comes where the grammar is complete.</summary>
    private static string Decode(SamplingParams p, TokenVocabulary v, int seed, int maxSteps = 3000)
    {
        var sampler = new Sampler(p, v);
        var rng = new Random(seed);
        var logits = new float[v.Count];
        var text = new List<byte>();
        for (int step = 0; step < maxSteps; step++)
        {
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = (float)(rng.NextDouble() * 8);
            }

            bool couldEnd = sampler.Matcher?.CanTerminate ?? false;
            var r = sampler.Sample(logits);
            if (v.EndOfGenerationIds.Contains(r.TokenId))
            {
                Assert.True(couldEnd, "EOG sampled where the grammar cannot end");
                return Encoding.UTF8.GetString(text.ToArray());
            }

            text.AddRange(v.Piece(r.TokenId).ToArray());
        }

        throw new Xunit.Sdk.XunitException("decoding did not end: " + Encoding.UTF8.GetString(text.ToArray()));
    }

    [Theory]
    [InlineData(0f, 1)]
    [InlineData(1f, 2)]
    [InlineData(0.7f, 3)]
    [InlineData(1.5f, 4)]
    public void Constrained_decoding_over_random_logits_yields_valid_output(float temperature, int seed)
    {
        var schema = JsonDocument.Parse(PersonSchema).RootElement;
        var g = Grammar.FromJsonSchema(schema);
        var v = ByteVocab.Create("{\"", "\":", "\",", "name", "age", "tags", "]}", "12");
        var p = new SamplingParams { Temperature = temperature, Seed = seed, TopK = temperature > 1 ? 40 : 0, TopP = 0.95f, Grammar = g, MaxTokens = 3000 };
        string text = Decode(p, v, seed);
        var doc = JsonDocument.Parse(text).RootElement;
        Assert.Null(MiniSchemaValidator.Validate(doc, schema));
    }

    [Fact]
    public void Greedy_ignores_a_high_logit_the_grammar_forbids_and_logprobs_are_of_the_constrained_distribution()
    {
        var v = ByteVocab.Create();
        var p = new SamplingParams { Temperature = 0, Grammar = Grammar.FromGbnf("root ::= [ab]"), Logprobs = true, TopLogprobs = 5 };
        var s = new Sampler(p, v);
        var logits = new float[v.Count];
        logits['z'] = 50;
        logits['a'] = 1;
        logits['b'] = 1;
        var r = s.Sample(logits);
        Assert.True(r.TokenId is 'a' or 'b');
        Assert.Equal(MathF.Log(0.5f), r.Logprob, 3);
        // Only the two allowed tokens are alternatives (masked tokens are never reported as −∞).
        Assert.Equal(2, r.TopLogprobs!.Length);
        // Complete: only EOG remains.
        var next = s.Sample(new float[v.Count]);
        Assert.Equal(ByteVocab.Eog(v), next.TokenId);
    }

    [Fact]
    public void Logit_bias_and_min_tokens_cannot_break_the_grammar()
    {
        var v = ByteVocab.Create();
        var bias = new Dictionary<int, float> { ['x'] = 100 };
        var p = new SamplingParams { Temperature = 0, Grammar = Grammar.FromGbnf("root ::= \"ok\""), LogitBias = bias, MinTokens = 10 };
        var s = new Sampler(p, v);
        Assert.Equal('o', s.Sample(new float[v.Count]).TokenId);
        Assert.Equal('k', s.Sample(new float[v.Count]).TokenId);
        // min_tokens bans EOG, the grammar allows only EOG: the grammar wins.
        Assert.Equal(ByteVocab.Eog(v), s.Sample(new float[v.Count]).TokenId);
    }

    [Fact]
    public void A_grammar_bound_hit_mid_generation_ends_with_eog_instead_of_failing()
    {
        // After k a's every nesting depth is a live parse (about 3k stacks): the stack bound is hit after ~170 tokens.
        var v = ByteVocab.Create();
        var p = new SamplingParams { Temperature = 0, Grammar = Grammar.FromGbnf("root ::= e*\ne ::= \"a\" | \"a\" e \"b\""), MaxTokens = 2000 };
        var s = new Sampler(p, v);
        var logits = new float[v.Count];
        int steps = 0;
        int token;
        do
        {
            Array.Clear(logits);
            logits['a'] = 5;
            token = s.Sample(logits).TokenId;
            steps++;
        }
        while (token == 'a' && steps < 2000);
        Assert.Equal(ByteVocab.Eog(v), token);
        Assert.InRange(steps, (GrammarMatcher.MaxStacks / 4) + 1, GrammarMatcher.MaxStacks);
    }

    [Fact]
    public void Grammar_without_a_tokenizer_is_refused()
    {
        var p = new SamplingParams { Grammar = Grammar.FromGbnf("root ::= \"a\"") };
        Assert.Throws<ArgumentException>(() => new Sampler(p, [2]));
    }

    [Fact]
    public void Serving_engine_generates_schema_valid_json_with_a_real_model()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1 });
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":1,"maximum":9}},"required":["ok","n"],"additionalProperties":false}""").RootElement;
        var g = Grammar.FromJsonSchema(schema);
        foreach (var sp in new[] { new SamplingParams { Temperature = 0, Grammar = g, MaxTokens = 200 }, new SamplingParams { Temperature = 1, Seed = 5, Grammar = g, MaxTokens = 200 } })
        {
            var result = engine.Generate(new CyLlm.Engine.Generation.GenerationRequest { Prompt = "Once upon a time", Sampling = sp });
            var doc = JsonDocument.Parse(result.Text).RootElement;
            Assert.Null(MiniSchemaValidator.Validate(doc, schema));
            Assert.Equal(CyLlm.Engine.Generation.FinishReason.Stop, result.FinishReason);
        }
    }

    [Fact]
    public async Task Batched_serving_mixes_constrained_and_free_requests()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 512 });
        using var serving = new CyLlm.Engine.Scheduling.ServingEngine(engine, new CyLlm.Engine.Scheduling.ServingOptions { KvCacheBytes = 16 << 20 });
        var schema = JsonDocument.Parse("""{"type":"array","items":{"type":"integer","minimum":0,"maximum":99},"minItems":2,"maxItems":5}""").RootElement;
        var g = Grammar.FromJsonSchema(schema);
        int[] prompt = engine.Encode("Once upon a time");
        var free = Enumerable.Range(0, 3).Select(i => serving.Submit(new CyLlm.Engine.Scheduling.ServingRequest(prompt, new SamplingParams { Temperature = 1, Seed = i, MaxTokens = 30 }))).ToArray();
        var constrained = Enumerable.Range(0, 4).Select(i => serving.Submit(new CyLlm.Engine.Scheduling.ServingRequest(prompt, new SamplingParams { Temperature = 1, Seed = 10 + i, MaxTokens = 400, Grammar = g }))).ToArray();
        foreach (var h in constrained)
        {
            var r = await h.Completion;
            // Bounded whitespace keeps the longest sentence under 400 tokens: the grammar, not the budget, ends it.
            Assert.Equal(CyLlm.Engine.Generation.FinishReason.Stop, r.FinishReason);
            string text = engine.Tokenizer!.Decode(r.TokenIds);
            Assert.Null(MiniSchemaValidator.Validate(JsonDocument.Parse(text).RootElement, schema));
        }

        foreach (var h in free)
        {
            Assert.NotEmpty((await h.Completion).TokenIds);
        }
    }
}
