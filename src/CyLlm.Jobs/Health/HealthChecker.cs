using System.Diagnostics;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Health;

/// <summary>
/// The start-up health check behind <c>cyllm doctor</c>, <c>cyllm serve</c> and <c>/health/details</c>: the database
/// opens, WAL is on, busy_timeout ≥ 5000 ms, the schema is current (else: run <c>cyllm migrate</c>), the tables exist,
/// the data folder has free space, configured model files exist and match their recorded hashes. Everything except a
/// first-time hash reads metadata only, so a run on an existing database takes a few milliseconds.
/// </summary>
public sealed class HealthChecker
{
    private readonly HealthCheckOptions options;

    public HealthChecker(HealthCheckOptions? options = null)
    {
        this.options = options ?? new HealthCheckOptions();
    }

    /// <summary>Opens the store with <paramref name="open"/> (an open failure is the failed <c>database_opens</c> check), runs the checks, disposes it.</summary>
    public async Task<HealthReport> RunAsync(Func<CancellationToken, Task<IJobStore>> open, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(open);
        var total = Stopwatch.StartNew();
        IJobStore store;
        var sw = Stopwatch.StartNew();
        try
        {
            store = await open(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JobStoreException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var results = new List<HealthCheckResult> { new("database_opens", HealthOutcome.Failed, e.Message, sw.Elapsed) };
            foreach (string name in LaterChecks)
            {
                results.Add(new HealthCheckResult(name, HealthOutcome.Skipped, "not run: the database did not open", TimeSpan.Zero));
            }

            return new HealthReport(results, total.Elapsed);
        }

        await using (store.ConfigureAwait(false))
        {
            return await RunAsync(store, total, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the checks against an open store.</summary>
    public Task<HealthReport> RunAsync(IJobStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return RunAsync(store, Stopwatch.StartNew(), ct);
    }

    private static readonly string[] LaterChecks = ["wal_mode", "busy_timeout", "schema_version", "required_tables", "free_disk", "model_files"];

    private async Task<HealthReport> RunAsync(IJobStore store, Stopwatch total, CancellationToken ct)
    {
        var results = new List<HealthCheckResult>();
        bool stop = false;

        void Record(string name, bool passed, string message, Stopwatch sw)
        {
            results.Add(new HealthCheckResult(name, passed ? HealthOutcome.Passed : HealthOutcome.Failed, message, sw.Elapsed));
            stop |= !passed && options.FailFast;
        }

        var sw = Stopwatch.StartNew();
        StoreHealthInfo? info = null;
        try
        {
            info = await store.GetHealthInfoAsync(ct).ConfigureAwait(false);
            Record("database_opens", true, $"{info.Provider} at {info.Location}", sw);
        }
        catch (JobStoreException e)
        {
            Record("database_opens", false, e.Message, sw);
        }

        foreach (string name in LaterChecks)
        {
            if (stop || info is null)
            {
                results.Add(new HealthCheckResult(name, HealthOutcome.Skipped, "not run: an earlier check failed", TimeSpan.Zero));
                continue;
            }

            sw.Restart();
            switch (name)
            {
                case "wal_mode":
                    Record(name, info.JournalMode is null || string.Equals(info.JournalMode, "wal", StringComparison.OrdinalIgnoreCase),
                        info.JournalMode is null ? $"not applicable ({info.Provider})" : $"journal_mode is {info.JournalMode}" + (string.Equals(info.JournalMode, "wal", StringComparison.OrdinalIgnoreCase) ? "" : "; the store needs WAL (open it read-write once to switch)"), sw);
                    break;
                case "busy_timeout":
                    Record(name, info.BusyTimeoutMs is null || info.BusyTimeoutMs >= options.MinBusyTimeoutMs,
                        info.BusyTimeoutMs is null ? $"not applicable ({info.Provider})" : $"busy_timeout is {info.BusyTimeoutMs} ms (minimum {options.MinBusyTimeoutMs})", sw);
                    break;
                case "schema_version":
                    Record(name, info.SchemaVersion == info.ExpectedSchemaVersion,
                        info.SchemaVersion == info.ExpectedSchemaVersion ? $"schema version {info.SchemaVersion} is current" : SchemaOutOfDateException.Describe(info.Location, info.SchemaVersion, info.ExpectedSchemaVersion), sw);
                    break;
                case "required_tables":
                    Record(name, info.MissingTables.Count == 0,
                        info.MissingTables.Count == 0 ? $"all {JobStoreSchema.Tables.Count} tables present" : $"missing tables: {string.Join(", ", info.MissingTables)}; run `cyllm migrate`", sw);
                    break;
                case "free_disk":
                    CheckFreeDisk(info, sw, Record);
                    break;
                case "model_files":
                    await CheckModelsAsync(sw, Record, ct).ConfigureAwait(false);
                    break;
            }
        }

        return new HealthReport(results, total.Elapsed);
    }

    private void CheckFreeDisk(StoreHealthInfo info, Stopwatch sw, Action<string, bool, string, Stopwatch> record)
    {
        string? dir = options.DataDirectory ?? info.DataDirectory;
        if (dir is null)
        {
            record("free_disk", true, "not applicable (no local data folder)", sw);
            return;
        }

        try
        {
            long free = new DriveInfo(Path.GetFullPath(dir)).AvailableFreeSpace;
            record("free_disk", free >= options.MinFreeDiskBytes,
                $"{dir} has {free / (1 << 20):N0} MiB free (minimum {options.MinFreeDiskBytes / (1 << 20):N0} MiB)", sw);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            record("free_disk", false, $"cannot read free space of {dir}: {e.Message}", sw);
        }
    }

    private async Task CheckModelsAsync(Stopwatch sw, Action<string, bool, string, Stopwatch> record, CancellationToken ct)
    {
        if (options.ModelFiles.Count == 0)
        {
            record("model_files", true, "no model files configured", sw);
            return;
        }

        var cache = options.HashCache?.Instance
            ?? (options.HashCache?.CachePath is { } p ? FileHashCache.Load(p) : FileHashCache.InMemory());
        var problems = new List<string>();
        foreach (var m in options.ModelFiles)
        {
            if (!File.Exists(m.Path))
            {
                problems.Add($"{m.Path} does not exist");
                continue;
            }

            string sha = cache.GetSha256(m.Path);
            if (!string.Equals(sha, m.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{m.Path} has sha256 {sha[..16]}… but {m.Sha256[..Math.Min(16, m.Sha256.Length)]}… was recorded");
            }
        }

        await cache.SaveAsync(ct).ConfigureAwait(false);
        record("model_files", problems.Count == 0,
            problems.Count == 0 ? $"{options.ModelFiles.Count} model file(s) match their recorded hashes" : string.Join("; ", problems), sw);
    }
}
