using System.Text.Json;
using System.Text.Json.Serialization;
using CyLlm.Jobs.Batches;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>
/// A batch task's Input JSON: <see cref="BatchSpec"/>'s fields (which <see cref="BatchRunner"/> reads; it ignores the rest)
/// plus the request's metadata, so GET returns what was created, and the creating key's id, prefix and model
/// allow-list, so the lines run with that key's rights (<see cref="CyLlm.Gateway.Hosting.InProcessBatchExecutor"/>).
/// </summary>
public sealed record StoredBatchInput(
    [property: JsonPropertyName("input_file_id")] string InputFileId,
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("completion_window")] string CompletionWindow,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata,
    [property: JsonPropertyName("key_id")] string? KeyId = null,
    [property: JsonPropertyName("key_prefix")] string? KeyPrefix = null,
    [property: JsonPropertyName("allowed_models")] IReadOnlyList<string>? AllowedModels = null)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static StoredBatchInput FromJson(string? json) =>
        (json is null ? null : JsonSerializer.Deserialize<StoredBatchInput>(json)) ?? throw new FormatException("batch input JSON is missing");
}
