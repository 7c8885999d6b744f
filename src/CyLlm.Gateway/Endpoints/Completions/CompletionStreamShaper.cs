using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>Text completion streaming: one chunk per token with text (or logprobs), a finish chunk, then the
/// usage chunk (empty choices) when <c>include_usage</c> is set. With <c>echo</c> the first chunk is the prompt; with
/// <c>echo</c> and <c>logprobs</c> it carries the prompt's logprobs too, sent as soon as the prefill scored them.</summary>
/// <param name="scorePrompt">With echo and logprobs: formats the prompt's logprobs (index 0 null) as the first chunk's.</param>
public sealed class CompletionStreamShaper(string id, long created, string model, LogprobFormatter? logprobs, bool includeUsage, int index = 0,
    EchoedPrompt? echo = null, Func<IReadOnlyList<SampleResult?>?, TextLogprobs>? scorePrompt = null) : StreamShaper
{
    private int _offset;
    private EchoedPrompt? _echo = echo;

    /// <summary>With <c>scorePrompt</c>: waits for the prompt's logprobs (or, from a backend that has them only in the
    /// result, for the result) and puts them in the echoed prompt.</summary>
    public override async Task BeforeFirstAsync(GenerationStream first)
    {
        if (_echo is null || scorePrompt is null)
        {
            return;
        }

        // WhenAny never throws: a failed or cancelled generation is reported by the runner right after this.
        var done = first.Completion;
        await Task.WhenAny(first.PromptLogprobs is { } ready ? [ready, done] : [done]);
        IReadOnlyList<SampleResult?>? scored = first.PromptLogprobs is { IsCompletedSuccessfully: true } scoredEarly ? scoredEarly.Result
            : done.IsCompletedSuccessfully ? done.Result.PromptLogprobs : null;
        _echo = _echo with { Logprobs = scorePrompt(scored) };
    }

    /// <summary>With <c>echo</c>, the prompt's text (and its logprobs) as the first chunk.</summary>
    public override object? First()
    {
        if (_echo is null)
        {
            return null;
        }

        // Completion tokens' text_offset continues after the prompt's tokens, as in the answer without stream.
        _offset = _echo.Logprobs is { } lp ? lp.Tokens.Sum(t => t.Length) : _echo.Text.Length;
        return new TextCompletion(id, "text_completion", created, model, [new TextChoice(_echo.Text, index, _echo.Logprobs, null)], null, null);
    }

    public override object? Token(GeneratedToken token)
    {
        TextLogprobs? lp = null;
        if (logprobs is not null && token.TokenId >= 0)
        {
            lp = new TextLogprobs(
                [logprobs.TokenText(token.TokenId)],
                [LogprobFormatter.Finite(token.Sample.Logprob)],
                [logprobs.CompletionTop(token.Sample)],
                [_offset]);
        }

        _offset += token.TextDelta.Length;
        if (token.TextDelta.Length == 0 && lp is null)
        {
            return null;
        }

        return new TextCompletion(id, "text_completion", created, model, [new TextChoice(token.TextDelta, index, lp, null)], null, null);
    }

    public override IEnumerable<object> Final(GenerationResult result)
    {
        yield return new TextCompletion(id, "text_completion", created, model, [new TextChoice("", index, null, SamplingMapper.FinishReasonName(result.FinishReason))], null, null);
        if (includeUsage)
        {
            yield return new TextCompletion(id, "text_completion", created, model, [], Usage.Of(result.PromptTokenIds.Length, result.TokenIds.Length, result.CachedTokens), null);
        }
    }
}
