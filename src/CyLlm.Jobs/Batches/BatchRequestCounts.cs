using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Batches;

/// <summary>OpenAI <c>request_counts</c>: requests in the batch, answered successfully, answered with an error.</summary>
public sealed record BatchRequestCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed);
