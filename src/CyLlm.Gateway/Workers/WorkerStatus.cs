using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Workers;

/// <summary>One remote worker in the gateway's <c>GET /status</c>: its heartbeat state and load.</summary>
public sealed record WorkerStatus
{
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>"up" or "down".</summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    /// <summary>Requests this gateway has on the worker now.</summary>
    [JsonPropertyName("in_flight")]
    public required int InFlight { get; init; }

    /// <summary>Running plus waiting requests of the worker's engine at its last heartbeat (every gateway's).</summary>
    [JsonPropertyName("queue")]
    public required int Queue { get; init; }

    /// <summary>When the worker last answered a heartbeat; null when it never did.</summary>
    [JsonPropertyName("last_heartbeat")]
    public DateTimeOffset? LastHeartbeat { get; init; }

    [JsonPropertyName("consecutive_misses")]
    public required int ConsecutiveMisses { get; init; }

    /// <summary>Why the last poll or request failed; null once it answers again.</summary>
    [JsonPropertyName("last_error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LastError { get; init; }

    [JsonPropertyName("adapters")]
    public required IReadOnlyList<string> Adapters { get; init; }
}
