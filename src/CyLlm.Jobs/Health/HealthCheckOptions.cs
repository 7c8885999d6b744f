namespace CyLlm.Jobs.Health;

/// <summary>What the start-up health check verifies beyond the database.</summary>
public sealed record HealthCheckOptions
{
    /// <summary>Stop at the first failed check (the rest are reported as skipped). Default true.</summary>
    public bool FailFast { get; init; } = true;

    /// <summary>Free space the data folder must have, bytes (default 1 GiB).</summary>
    public long MinFreeDiskBytes { get; init; } = 1L << 30;

    /// <summary>Folder whose free space is checked; defaults to the store's data folder (SQLite), else skipped.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Model files that must exist and match their recorded hashes.</summary>
    public IReadOnlyList<ModelFileExpectation> ModelFiles { get; init; } = [];

    /// <summary>Hash cache (path+size+mtime → sha256) so unchanged models are not re-hashed; in-memory when null.</summary>
    public FileHashCacheSource? HashCache { get; init; }

    /// <summary>Smallest acceptable SQLite busy_timeout, ms.</summary>
    public int MinBusyTimeoutMs { get; init; } = 5000;
}
