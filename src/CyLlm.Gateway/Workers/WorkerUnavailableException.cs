namespace CyLlm.Gateway.Workers;

/// <summary>
/// One worker could not serve one attempt (connection refused or reset, marked down by the heartbeat, an answer cut
/// short). Internal to <see cref="RemoteEngineBackend"/>: it retries on another worker when nothing reached the client
/// yet, and otherwise turns it into a 502 <c>worker_failed</c>.
/// </summary>
public sealed class WorkerUnavailableException(string url, string reason, Exception? inner = null)
    : Exception($"the worker {url} {reason}", inner)
{
    public string Url { get; } = url;
}
