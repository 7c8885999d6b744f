using System.Text.Json.Serialization;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>The <c>text_completion</c> object, both the response and each streaming chunk (usage only on the
/// response and the final usage chunk).</summary>
public sealed record TextCompletion(
    string Id,
    string Object,
    long Created,
    string Model,
    TextChoice[] Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage,
    string? SystemFingerprint);
