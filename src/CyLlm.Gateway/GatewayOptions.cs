using CyLlm.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway;

/// <summary>How a gateway is composed: the model, where it listens, and its limits.</summary>
public sealed record GatewayOptions
{
    /// <summary>Model file or folder; ignored when <see cref="BackendFactory"/> is set.</summary>
    public string? ModelPath { get; init; }

    public string? TokenizerPath { get; init; }

    /// <summary>The id clients pass as "model"; null = the model file's name without extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>Engine worker threads; 0 = one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Context tokens; 0 = the model's (capped by the engine).</summary>
    public int ContextTokens { get; init; }

    /// <summary>Builds the backend instead of loading <see cref="ModelPath"/> (tests, embedding hosts). It is
    /// called on a background thread; /health answers 503 until it returns.</summary>
    public Func<IInferenceBackend>? BackendFactory { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="GatewayApp"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Requests that may wait for the engine; more are refused with 503 server_overloaded.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Serve through the continuous-batching engine (concurrent requests share forward passes).</summary>
    public bool ContinuousBatching { get; init; } = true;

    /// <summary>KV cache budget of the serving engine, in bytes.</summary>
    public long KvCacheBytes { get; init; } = 256L << 20;

    /// <summary>Largest request body in bytes (413 request_too_large beyond).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Whole-request limit, queueing and generation included (504 timeout, stage "total").</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait in the queue before the engine starts the request (504 timeout, stage "queue").</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Interval of SSE keep-alive comments while a stream waits (queue, long prefill).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// The state folder: SQLite database (cyllm.db), uploaded and generated files. Null = a fresh temporary folder
    /// removed when the gateway stops (tests, throw-away servers); `cyllm serve` always passes one.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>PostgreSQL connection string; when set the store is PostgreSQL instead of SQLite in <see cref="DataDirectory"/>.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>PostgreSQL schema for the tables (several deployments or test runs in one database); null = default.</summary>
    public string? PostgresSchema { get; init; }

    /// <summary>Source of time for keys, limits, audit and the store (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Returns all problems at once, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BackendFactory is null && string.IsNullOrWhiteSpace(ModelPath))
        {
            errors.Add("--model is required (the built-in default model is not available yet)");
        }

        if (Port is < 0 or > 65535)
        {
            errors.Add($"--port must be between 0 and 65535 (got {Port})");
        }

        if (MaxQueue < 1)
        {
            errors.Add($"--max-queue must be at least 1 (got {MaxQueue})");
        }

        if (MaxBodyBytes < 1024)
        {
            errors.Add($"max body bytes must be at least 1024 (got {MaxBodyBytes})");
        }

        if (RequestTimeout <= TimeSpan.Zero || QueueTimeout <= TimeSpan.Zero || KeepAliveInterval <= TimeSpan.Zero)
        {
            errors.Add("request timeout, queue timeout and keep-alive interval must be positive");
        }

        if (Threads < 0 || ContextTokens < 0)
        {
            errors.Add("--threads and --context must be 0 (automatic) or positive");
        }

        return errors;
    }
}
