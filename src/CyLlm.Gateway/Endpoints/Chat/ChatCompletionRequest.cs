using System.Text.Json;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The body of POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : SamplingRequest
{
    public List<ChatMessageDto>? Messages { get; set; }

    /// <summary>OpenAI's newer name for max_tokens; wins when both are set.</summary>
    public int? MaxCompletionTokens { get; set; }

    public bool? Logprobs { get; set; }

    public int? TopLogprobs { get; set; }

    /// <summary>Only <c>{"type":"text"}</c> is supported.</summary>
    public JsonElement? ResponseFormat { get; set; }
}
