using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>
/// One streamed piece of a tool call, as OpenAI streams them: the first delta of call <see cref="Index"/> has its
/// id, type and name with empty arguments; the next ones carry only the index and an arguments piece.
/// </summary>
public sealed record ChatToolCallDelta(
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type,
    ChatFunctionCall Function);
