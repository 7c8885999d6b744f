using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The one token-acceptance rule (serving-core issue): the single-stream engine and the serving engine apply the same
/// <see cref="TokenAcceptor"/>, so they agree on every ending — EOG, stop ids, stop strings, max_tokens and a full context.
/// </summary>
public sealed class TokenAcceptorTests : IDisposable
{
    private readonly InferenceEngine _engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 64 });

    public void Dispose() => _engine.Dispose();

    public static TheoryData<string, int, bool, int[], string[]> Endings() => new()
    {
        // prompt, max tokens (at most what the context leaves: the serving engine refuses more), ignore EOS, stop ids, stop strings
        { "Once upon a time, there was a little girl named Lily. She liked to play outside in the sun. One day", 200, true, [], [] },   // max_tokens = the rest of the context
        { "Once upon a time", 7, true, [], [] },                                                                               // max_tokens
        { "Once upon a time", 60, false, [], [] },                                                                             // EOG or length
        { "Once upon a time", 60, true, [], ["the"] },                                                                         // stop string
    };

    [Theory]
    [MemberData(nameof(Endings))]
    public async Task Single_stream_and_serving_end_every_generation_the_same_way(string text, int maxTokens, bool ignoreEos, int[] stopIds, string[] stops)
    {
        int[] prompt = _engine.Encode(text);
        maxTokens = Math.Min(maxTokens, _engine.ContextTokens - prompt.Length);
        var sp = new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = ignoreEos, StopTokenIds = stopIds, Stop = stops };
        var single = _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = sp });
        using var serving = new ServingEngine(_engine, new ServingOptions { KvCacheBytes = 4 << 20 });
        var served = await serving.GenerateAsync(new ServingRequest(prompt, sp));
        Assert.Equal(single.FinishReason, served.FinishReason);
        Assert.Equal(single.TokenIds, served.TokenIds);
        Assert.Equal(single.Text, served.Text);
        Assert.True(prompt.Length + single.TokenIds.Length <= _engine.ContextTokens, "prompt + completion exceeded the context");
    }

    [Fact]
    public void A_full_context_ends_with_length_at_prompt_plus_completion_equal_to_the_context()
    {
        // The single-stream engine accepts a max_tokens beyond the context (the serving engine refuses it up front):
        // it ends where prompt + completion fill the context, as the serving engine's requests at most can.
        int[] prompt = _engine.Encode("Once upon a time, there was a little girl named Lily. She liked to play outside in the sun. One day");
        var sp = new SamplingParams { Temperature = 0, MaxTokens = 500, IgnoreEos = true };
        var single = _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = sp });
        Assert.Equal(FinishReason.Length, single.FinishReason);
        Assert.Equal(_engine.ContextTokens, prompt.Length + single.TokenIds.Length);
    }

    [Fact]
    public void A_stop_id_ends_without_being_output_and_a_stop_string_is_never_emitted()
    {
        int[] prompt = _engine.Encode("Once upon a time");
        var plain = _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 20, IgnoreEos = true } });
        int stopId = plain.TokenIds[5];
        int first = Array.IndexOf(plain.TokenIds, stopId);
        var stopped = _engine.Generate(new GenerationRequest { PromptTokens = prompt, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 20, IgnoreEos = true, StopTokenIds = [stopId] } });
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(plain.TokenIds[..first], stopped.TokenIds);

        string word = plain.Text.Trim().Split(' ')[2];
        var streamed = new List<string>();
        var byString = _engine.Generate(
            new GenerationRequest { PromptTokens = prompt, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 20, IgnoreEos = true, Stop = [word] } },
            t => streamed.Add(t.TextDelta));
        Assert.Equal(FinishReason.Stop, byString.FinishReason);
        Assert.DoesNotContain(word, byString.Text, StringComparison.Ordinal);
        Assert.Equal(byString.Text, string.Concat(streamed));
    }

    [Theory]
    [InlineData(false, "")]
    [InlineData(true, "<s>")]
    public void Control_tokens_are_written_only_when_asked(bool render, string expected)
    {
        // Tool-call parsing asks for them: Llama 3's <|python_tag|> and Mistral's [TOOL_CALLS] are control tokens.
        var tok = _engine.Tokenizer!;
        var acceptor = new TokenAcceptor(new SamplingParams { MaxTokens = 4, RenderSpecialTokens = render }, tok, _engine.Encode("Once"), _engine.ContextTokens);
        Assert.Null(acceptor.Accept(new SampleResult(tok.BosId, 0f, null), out var emitted));
        Assert.Equal(expected, emitted!.Value.TextDelta);
        Assert.Equal(expected, acceptor.Text.ToString());
    }
}
