namespace CyLlm.Gateway.Workers;

/// <summary>
/// Remote engine workers of a gateway (<c>cyllm serve --workers URL,URL</c>, <c>Gateway:Workers:Urls</c>): the gateway
/// keeps the model file for its tokenizer and chat template only and sends generation and embeddings to these ordinary
/// <c>cyllm serve</c> processes (<see cref="RemoteEngineBackend"/>), watching each with a heartbeat.
/// </summary>
public sealed record WorkerSettings
{
    /// <summary>Base URLs of the workers (http://10.0.0.2:8081); an entry may hold several separated by commas.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>The worker-scope API key sent to the workers (<c>--worker-api-key</c>); null when they run without auth.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Time between two heartbeat polls of a worker (<c>--worker-heartbeat</c>); also each poll's time limit.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed polls after which a worker is marked down (<c>--worker-misses</c>): detection within
    /// about (misses + 1) × interval.</summary>
    public int MissedHeartbeats { get; init; } = 3;

    /// <summary>The worker URLs, split at commas, trimmed, without a trailing slash.</summary>
    public IReadOnlyList<string> Endpoints() =>
        [.. Urls.SelectMany(u => u.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(u => u.TrimEnd('/'))];

    /// <summary>Whether any worker is configured (the gateway then serves its model through them).</summary>
    public bool Enabled => Endpoints().Count > 0;

    /// <summary>Every problem, as one-line messages naming the setting.</summary>
    public void Validate(List<string> errors)
    {
        var urls = Endpoints();
        foreach (string url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            {
                errors.Add($"Gateway:Workers:Urls (--workers): '{url}' is not an absolute http(s) URL such as http://10.0.0.2:8081");
            }
        }

        if (urls.Distinct(StringComparer.OrdinalIgnoreCase).Count() != urls.Count)
        {
            errors.Add("Gateway:Workers:Urls (--workers) names a worker twice");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Gateway:Workers:HeartbeatInterval (--worker-heartbeat) must be between 0 and 1 minute (got {HeartbeatInterval})");
        }

        if (MissedHeartbeats is < 1 or > 100)
        {
            errors.Add($"Gateway:Workers:MissedHeartbeats (--worker-misses) must be 1 to 100 (got {MissedHeartbeats})");
        }
    }
}
