using CyLlm.Engine.Generation;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>Text completion streaming: one chunk per token with text (or logprobs), a finish chunk, then the
/// usage chunk (empty choices) when <c>include_usage</c> is set.</summary>
public sealed class CompletionStreamShaper(string id, long created, string model, LogprobFormatter? logprobs, bool includeUsage, int index = 0, EchoedPrompt? echo = null) : StreamShaper
{
    private int _offset;

    /// <summary>With <c>echo</c>, the prompt's text (and its logprobs) as the first chunk.</summary>
    public override object? First()
    {
        if (echo is null)
        {
            return null;
        }

        _offset = echo.Text.Length;
        return new TextCompletion(id, "text_completion", created, model, [new TextChoice(echo.Text, index, echo.Logprobs, null)], null, null);
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
