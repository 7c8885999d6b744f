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

    /// <summary>Functions the model may call; kept as JSON so <see cref="ChatToolReader"/> can name a bad entry.</summary>
    public JsonElement? Tools { get; set; }

    /// <summary>"none", "auto", "required" or <c>{"type":"function","function":{"name":...}}</c>.</summary>
    public JsonElement? ToolChoice { get; set; }

    /// <summary>False keeps only the first call of a reply (OpenAI's default is true).</summary>
    public bool? ParallelToolCalls { get; set; }

    /// <summary>Only <c>{"type":"text"}</c> is supported.</summary>
    public JsonElement? ResponseFormat { get; set; }
}
