using System.Text.Json.Serialization;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Endpoints.Status;

/// <summary>GET /status: the default model's engine at the top level (as before several models) and every base model in
/// <paramref name="Models"/>, default first. With remote engine workers, <paramref name="Engine"/> adds up the workers'
/// engines and <paramref name="Workers"/> lists each one's state (absent otherwise).</summary>
public sealed record StatusResponse(
    string Model,
    ServingStatus Engine,
    IReadOnlyList<StatusEntry> Models,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WorkerStatus>? Workers = null);
