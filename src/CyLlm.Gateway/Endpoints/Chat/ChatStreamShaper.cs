using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>Chat streaming: a role chunk, one content chunk per token with text (or logprobs), the
/// finish_reason chunk, then the usage chunk when <c>include_usage</c> is set. With a tool-call parser, the text
/// goes through it: content chunks carry only what is decided to be content, and each call is streamed as OpenAI
/// does — a chunk with its index, id, type, name and empty arguments, then a chunk with the arguments — and the
/// finish_reason is "tool_calls" once a call was sent. With <c>parallel_tool_calls: false</c> only the first call is sent.
/// Reasoning the parser splits off (gpt-oss's analysis channel) streams as <c>reasoning_content</c> deltas, before the
/// content, as DeepSeek's API and vLLM send it. <paramref name="choice"/> is the choice's index (n &gt; 1).</summary>
public sealed class ChatStreamShaper(string id, long created, string model, LogprobFormatter? logprobs, bool includeUsage, IToolCallParser? tools = null, bool parallel = true, int choice = 0) : StreamShaper
{
    private int _callsSent;

    public override object? First() =>
        new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(choice, new ChatDelta("assistant", ""), null, null)], null, null);

    public override object? Token(GeneratedToken token)
    {
        bool hasSample = token.TokenId >= 0;
        ChatLogprobs? lp = logprobs is not null && hasSample ? new ChatLogprobs([logprobs.Chat(token.Sample)]) : null;
        if (tools is null)
        {
            if (token.TextDelta.Length == 0 && lp is null)
            {
                return null;
            }

            return Chunk(new ChatDelta(null, token.TextDelta), lp);
        }

        var chunks = Chunks(tools.Push(token.TextDelta));
        if (lp is not null)
        {
            // Logprobs ride on the token's first chunk, or on an empty delta while its text is held back.
            if (chunks.Count == 0)
            {
                chunks.Add(Chunk(new ChatDelta(null, null), lp));
            }
            else
            {
                chunks[0] = chunks[0] with { Choices = [chunks[0].Choices[0] with { Logprobs = lp }] };
            }
        }

        return chunks.Count switch
        {
            0 => null,
            1 => chunks[0],
            _ => new SsePayloads(chunks),
        };
    }

    public override IEnumerable<object> Final(GenerationResult result)
    {
        if (tools is not null)
        {
            foreach (var chunk in Chunks(tools.Finish()))
            {
                yield return chunk;
            }
        }

        // Cut off by max_tokens or the context, the answer says "length" even after complete calls: a call may have been
        // left half-written (its text arrives as content), and the client must know the reply is truncated.
        string reason = SamplingMapper.FinishReasonName(result.FinishReason);
        string finish = _callsSent > 0 && reason != "length" ? "tool_calls" : reason;
        yield return new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
            [new ChatChunkChoice(choice, new ChatDelta(null, null), null, finish)], null, null);
        if (includeUsage)
        {
            yield return new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], Usage.Of(result.PromptTokenIds.Length, result.TokenIds.Length, result.CachedTokens), null);
        }
    }

    private List<ChatCompletionChunk> Chunks(IReadOnlyList<ToolParseEvent> events)
    {
        var chunks = new List<ChatCompletionChunk>();
        foreach (var e in events)
        {
            if (e.Call is { } call)
            {
                if (!parallel && _callsSent > 0)
                {
                    continue;
                }

                int index = _callsSent++;
                chunks.Add(Chunk(new ChatDelta(null, null, [new ChatToolCallDelta(index, call.Id, "function", new ChatFunctionCall(call.Name, ""))]), null));
                chunks.Add(Chunk(new ChatDelta(null, null, [new ChatToolCallDelta(index, null, null, new ChatFunctionCall(null, call.Arguments))]), null));
            }
            else if (e.Reasoning is { } reasoning)
            {
                chunks.Add(Chunk(new ChatDelta(null, null, null, reasoning), null));
            }
            else
            {
                chunks.Add(Chunk(new ChatDelta(null, e.Content), null));
            }
        }

        return chunks;
    }

    private ChatCompletionChunk Chunk(ChatDelta delta, ChatLogprobs? lp) =>
        new(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(choice, delta, lp, null)], null, null);
}
