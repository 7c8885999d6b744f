using System.Security.Cryptography;
using CyLlm.Gateway.State;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Health;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>The model file hash record of a data folder: recorded once, cached across starts, a change fails the check.</summary>
public sealed class ModelHashesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-model-hashes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_first_start_records_the_hash_later_starts_read_it_from_the_cache_and_a_change_fails()
    {
        string model = Path.Combine(_dir, "m.gguf");
        await File.WriteAllBytesAsync(model, [1, 2, 3, 4, 5]);
        string data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        var now = DateTimeOffset.UnixEpoch;

        var cache1 = FileHashCache.Load(ModelHashes.CachePath(data));
        var first = await ModelHashes.ExpectationsAsync(data, ModelHashes.FilesOf(model), cache1, now);
        string sha = Convert.ToHexStringLower(SHA256.HashData([1, 2, 3, 4, 5]));
        Assert.Equal(sha, Assert.Single(first).Sha256);
        Assert.Equal(1, cache1.Computed);
        Assert.Equal(sha, ModelHashes.Recorded(data)[model]);

        // A later start: the hash comes from the persisted cache, not from reading the file again.
        var cache2 = FileHashCache.Load(ModelHashes.CachePath(data));
        var second = await ModelHashes.ExpectationsAsync(data, ModelHashes.FilesOf(model), cache2, now);
        Assert.Equal(sha, Assert.Single(second).Sha256);
        Assert.Equal(0, cache2.Computed);
        var ok = await Check(second, cache2);
        Assert.Equal(HealthOutcome.Passed, ok.Outcome);
        Assert.Equal(0, cache2.Computed);

        // The file changes: the expectation stays the recorded hash and the check fails naming the file.
        await File.WriteAllBytesAsync(model, [9, 9, 9, 9, 9, 9]);
        var cache3 = FileHashCache.Load(ModelHashes.CachePath(data));
        var third = await ModelHashes.ExpectationsAsync(data, ModelHashes.FilesOf(model), cache3, now);
        Assert.Equal(sha, Assert.Single(third).Sha256);
        var failed = await Check(third, cache3);
        Assert.Equal(HealthOutcome.Failed, failed.Outcome);
        Assert.Contains("m.gguf", failed.Message);
    }

    [Fact]
    public async Task A_missing_model_file_is_reported_missing_and_not_recorded()
    {
        string data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        string model = Path.Combine(_dir, "absent.gguf");
        var cache = FileHashCache.InMemory();
        var expectations = await ModelHashes.ExpectationsAsync(data, ModelHashes.FilesOf(model), cache, DateTimeOffset.UnixEpoch);
        var result = await Check(expectations, cache);
        Assert.Equal(HealthOutcome.Failed, result.Outcome);
        Assert.Contains("does not exist", result.Message);
        Assert.Empty(ModelHashes.Recorded(data));
    }

    private async Task<HealthCheckResult> Check(IReadOnlyList<ModelFileExpectation> expectations, FileHashCache cache)
    {
        await using var store = await CyLlm.Jobs.Sqlite.SqliteJobStore.OpenAsync(new CyLlm.Jobs.Sqlite.SqliteJobStoreOptions(Path.Combine(_dir, "check.db")));
        var checker = new HealthChecker(new HealthCheckOptions { FailFast = false, ModelFiles = expectations, HashCache = FileHashCacheSource.From(cache), MinFreeDiskBytes = 1 });
        var report = await checker.RunAsync(store);
        return report.Checks.Single(c => c.Name == "model_files");
    }
}
