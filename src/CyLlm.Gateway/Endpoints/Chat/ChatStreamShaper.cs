using CyLlm.Engine.Generation;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>Chat streaming: a role chunk, one content chunk per token with text (or logprobs), the
/// finish_reason chunk, then the usage chunk when <c>include_usage</c> is set; <paramref name="index"/> is the choice's (n &gt; 1).</summary>
public sealed class ChatStreamShaper(string id, long created, string model, LogprobFormatter? logprobs, bool includeUsage, int index = 0) : StreamShaper
{
    public override object? First() =>
        new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(index, new ChatDelta("assistant", ""), null, null)], null, null);

    public override object? Token(GeneratedToken token)
    {
        bool hasSample = token.TokenId >= 0;
        ChatLogprobs? lp = logprobs is not null && hasSample ? new ChatLogprobs([logprobs.Chat(token.Sample)]) : null;
        if (token.TextDelta.Length == 0 && lp is null)
        {
            return null;
        }

        return new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(index, new ChatDelta(null, token.TextDelta), lp, null)], null, null);
    }

    public override IEnumerable<object> Final(GenerationResult result)
    {
        yield return new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
            [new ChatChunkChoice(index, new ChatDelta(null, null), null, SamplingMapper.FinishReasonName(result.FinishReason))], null, null);
        if (includeUsage)
        {
            yield return new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], Usage.Of(result.PromptTokenIds.Length, result.TokenIds.Length, result.CachedTokens), null);
        }
    }
}
