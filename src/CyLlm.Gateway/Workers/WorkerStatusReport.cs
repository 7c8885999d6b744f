using System.Text.Json.Serialization;
using CyLlm.Engine.Scheduling;

namespace CyLlm.Gateway.Workers;

/// <summary>
/// Worker → gateway: the answer to <c>GET /internal/workers/status</c>, the heartbeat. Its load (running and waiting
/// requests of its engine, every gateway's together) weighs in the gateway's choice; its adapters tell the gateway
/// which LoRA names it may list and send there.
/// </summary>
public sealed record WorkerStatusReport
{
    [JsonPropertyName("model")]
    public string Model { get; init; } = "";

    [JsonPropertyName("running")]
    public int Running { get; init; }

    [JsonPropertyName("waiting")]
    public int Waiting { get; init; }

    [JsonPropertyName("adapters")]
    public string[] Adapters { get; init; } = [];

    /// <summary>The worker's engine snapshot; null when it runs without the serving engine.</summary>
    [JsonPropertyName("engine")]
    public ServingStatus? Engine { get; init; }
}
