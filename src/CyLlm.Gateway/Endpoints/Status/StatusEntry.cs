using CyLlm.Engine.Scheduling;

namespace CyLlm.Gateway.Endpoints.Status;

/// <summary>One base model's serving engine in GET /status; <paramref name="Engine"/> is null while the model loads.</summary>
public sealed record StatusEntry(string Model, ServingStatus? Engine);
