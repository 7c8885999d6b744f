namespace CyLlm.Gateway.Workers;

/// <summary>The error codes a client gets when remote engine workers cannot serve its request (docs/errors.md).</summary>
public static class WorkerErrors
{
    /// <summary>503: every worker of the model is down (or failed this request); nothing could take it.</summary>
    public const string NoHealthyWorkers = "no_healthy_workers";

    /// <summary>502: the worker serving the request failed after part of the answer had reached the client.</summary>
    public const string WorkerFailed = "worker_failed";
}
