using System.Text.Json.Serialization;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>A <c>chat.completion.chunk</c> streaming event; the usage chunk has no choices.</summary>
public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    ChatChunkChoice[] Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    string? SystemFingerprint);
