namespace CyLlm.Gateway.Workers;

/// <summary>
/// No worker of the model can take a request: all are down, or each live one failed it before anything was sent to the
/// client. <see cref="Errors.EngineErrors"/> maps it to a 503 <c>no_healthy_workers</c> error object.
/// </summary>
public sealed class NoHealthyWorkersException(string model, int workers, string? lastFailure)
    : Exception(lastFailure is null
        ? $"no healthy worker for model {model}: all {workers} are down"
        : $"no healthy worker for model {model} ({workers} configured); the last one failed: {lastFailure}")
{
    public string Model { get; } = model;
}
