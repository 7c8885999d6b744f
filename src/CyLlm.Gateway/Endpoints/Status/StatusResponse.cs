using CyLlm.Engine.Scheduling;

namespace CyLlm.Gateway.Endpoints.Status;

/// <summary>GET /status: the default model's engine at the top level (as before several models) and every base model in
/// <paramref name="Models"/>, default first.</summary>
public sealed record StatusResponse(string Model, ServingStatus Engine, IReadOnlyList<StatusEntry> Models);
