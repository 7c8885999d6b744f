namespace CyLlm.Gateway.Endpoints.Health;

/// <summary>
/// GET /health/details: the health check report plus model, engine and store status.
/// <see cref="Status"/> is <c>ok</c> when every check passed and the model is ready, else <c>failing</c>.
/// </summary>
public sealed record HealthDetails(
    string Status,
    bool Healthy,
    double ElapsedMs,
    int Passed,
    int Failed,
    int Skipped,
    IReadOnlyList<HealthCheckItem> Checks,
    ModelStatus Model,
    EngineStatus Engine,
    StoreStatus Store);
