using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Tokenize;

/// <summary>vLLM's POST /tokenize body: a prompt (or chat messages) to turn into token ids.</summary>
public sealed class TokenizeRequest
{
    public string? Model { get; set; }

    public string? Prompt { get; set; }

    public List<Chat.ChatMessageDto>? Messages { get; set; }

    /// <summary>Prepend BOS (the default for plain prompts, as the model would).</summary>
    public bool? AddSpecialTokens { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
