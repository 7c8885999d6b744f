using CyLlm.Jobs.Files;
using CyLlm.Jobs.Health;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.State;

/// <summary>
/// The health check of a gateway's configuration (database, WAL, busy_timeout, schema, tables, free disk, model files
/// against their recorded hashes): run by <c>cyllm serve</c> before it binds and by <c>GET /health/details</c>.
/// </summary>
public static class StartupHealth
{
    /// <summary>Opens the configured store (migrating it, as the gateway would), runs every check and closes it again.</summary>
    public static async Task<HealthReport> RunBeforeStartAsync(GatewayOptions options, bool failFast = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DataDirectory is null)
        {
            throw new ArgumentException("the start-up health check needs a data folder", nameof(options));
        }

        string dataDir = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDir);
        var checker = new HealthChecker(await CheckOptionsAsync(options, dataDir, failFast, ct));
        return await checker.RunAsync(async c => (await StoreHost.OpenAsync(options, c)).Store, ct);
    }

    /// <summary>Runs every check against the running gateway's store (nothing stops at the first failure).</summary>
    public static async Task<HealthReport> RunAsync(GatewayOptions options, StoreHost host, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var checker = new HealthChecker(await CheckOptionsAsync(options, host.DataDirectory, failFast: false, ct));
        return await checker.RunAsync(host.Store, ct);
    }

    private static async Task<HealthCheckOptions> CheckOptionsAsync(GatewayOptions options, string dataDir, bool failFast, CancellationToken ct)
    {
        var cache = FileHashCache.Load(ModelHashes.CachePath(dataDir));
        var files = options.BackendFactory is null ? ModelHashes.FilesOf(options.ModelPath) : [];
        var expectations = await ModelHashes.ExpectationsAsync(dataDir, files, cache, options.Time.GetUtcNow(), ct);
        return new HealthCheckOptions
        {
            FailFast = failFast,
            DataDirectory = dataDir,
            ModelFiles = expectations,
            HashCache = FileHashCacheSource.From(cache),
            MinFreeDiskBytes = options.MinFreeDiskBytes,
        };
    }
}
