using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Batches;

/// <summary>A batch's outcome, stored as the task's Result JSON (request counts, output and error file ids).</summary>
public sealed record BatchResult(
    [property: JsonPropertyName("request_counts")] BatchRequestCounts RequestCounts,
    [property: JsonPropertyName("output_file_id")] string? OutputFileId,
    [property: JsonPropertyName("error_file_id")] string? ErrorFileId)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static BatchResult? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<BatchResult>(json);
}
