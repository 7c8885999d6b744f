using System.Text.Json.Serialization;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Endpoints.Status;

/// <summary>One base model's serving engine in GET /status; <paramref name="Engine"/> is null while the model loads.
/// <paramref name="Workers"/>: the remote engine workers serving it (absent when it runs in this process).</summary>
public sealed record StatusEntry(
    string Model,
    ServingStatus? Engine,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<WorkerStatus>? Workers = null);
