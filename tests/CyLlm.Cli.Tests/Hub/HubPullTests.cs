using System.Text.Json;
using CyLlm.Cli.Hub;
using CyLlm.Jobs;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Cli.Tests.Hub;

/// <summary>Pulls against a <see cref="FakeHub"/> on loopback, in-process: cache layout, reuse, resume, verification, errors.</summary>
public sealed class HubPullTests : IAsyncLifetime
{
    private const string Repo = "test/tiny-GGUF";
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private const string Q4 = "tiny-q4_k_m.gguf";
    private const string Q8 = "tiny-Q8_0.gguf";

    private static readonly byte[] Q4Bytes = Bytes(300_000, 1);
    private static readonly byte[] Q8Bytes = Bytes(200_000, 2);

    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("cyllm-hub-");
    private FakeHub hub = null!;

    private string CacheDir => Path.Combine(temp.FullName, "hub");

    private string RepoDir => Path.Combine(CacheDir, "models--test--tiny-GGUF");

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        hub.AddRepo(Repo, Commit, ("README.md", "# tiny"u8.ToArray()), (Q4, Q4Bytes), (Q8, Q8Bytes), ("mmproj-tiny-f16.gguf", Bytes(1000, 3)));
    }

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        temp.Delete(recursive: true);
    }

    [Fact]
    public async Task A_quant_tag_picks_its_file_and_lands_in_the_hub_cache_layout_with_a_relative_symlink()
    {
        var result = await PullAsync("hf:test/tiny-GGUF:Q4_K_M");

        string sha = FakeHub.Sha256(Q4Bytes);
        Assert.True(result.Downloaded);
        Assert.Equal(Q4, result.File);
        Assert.Equal(Path.Combine(RepoDir, "snapshots", Commit, Q4), result.Path);
        Assert.Equal($"../../blobs/{sha}", new FileInfo(result.Path).LinkTarget);
        Assert.Equal(Q4Bytes, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal([sha], Directory.GetFiles(Path.Combine(RepoDir, "blobs")).Select(Path.GetFileName));
        Assert.Equal(Commit, await File.ReadAllTextAsync(Path.Combine(RepoDir, "refs", "main")));
    }

    [Fact]
    public async Task A_file_name_picks_that_file_and_a_second_pull_downloads_nothing()
    {
        var first = await PullAsync("hf:test/tiny-GGUF:tiny-Q8_0.gguf");
        var listener = new RecordingListener();
        var second = await PullAsync("hf:test/tiny-GGUF:tiny-Q8_0.gguf", listener: listener);

        Assert.True(first.Downloaded);
        Assert.False(second.Downloaded);
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(1, hub.Downloads);
        Assert.Empty(listener.Started);
        Assert.Equal(Q8Bytes, await File.ReadAllBytesAsync(second.Path));
    }

    [Fact]
    public async Task A_blob_another_tool_downloaded_is_linked_not_fetched_again()
    {
        Directory.CreateDirectory(Path.Combine(RepoDir, "blobs"));
        await File.WriteAllBytesAsync(Path.Combine(RepoDir, "blobs", FakeHub.Sha256(Q8Bytes)), Q8Bytes);

        var result = await PullAsync("hf:test/tiny-GGUF:Q8_0");

        Assert.False(result.Downloaded);
        Assert.Equal(0, hub.Downloads);
        Assert.Equal(Q8Bytes, await File.ReadAllBytesAsync(result.Path));
    }

    [Fact]
    public async Task An_interrupted_download_resumes_with_a_range_request_and_continues_its_task()
    {
        hub.CutNextDownloadAfter(120_000);
        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync("hf:test/tiny-GGUF:Q4_K_M", recordTask: true));
        Assert.Equal("download_failed", e.Code);
        string incomplete = Path.Combine(RepoDir, "blobs", FakeHub.Sha256(Q4Bytes) + ".incomplete");
        long kept = new FileInfo(incomplete).Length;
        Assert.InRange(kept, 1, 120_000);
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
        var interrupted = Assert.Single(await TasksAsync());
        Assert.Equal(Jobs.TaskStatus.Running, interrupted.Status);

        var result = await PullAsync("hf:test/tiny-GGUF:Q4_K_M", recordTask: true);

        Assert.Contains(hub.Requests, q => q.Method == "GET" && q.Range == $"bytes={kept}-" && q.Status == 206);
        Assert.Equal(FakeHub.Sha256(Q4Bytes), FakeHub.Sha256(await File.ReadAllBytesAsync(result.Path)));
        Assert.False(File.Exists(incomplete));
        var task = Assert.Single(await TasksAsync());
        Assert.Equal(interrupted.Id, task.Id);
        Assert.Equal(TaskKind.ModelPull, task.Kind);
        Assert.Equal(Jobs.TaskStatus.Succeeded, task.Status);
        Assert.Equal(100, task.Progress);
        using var doc = JsonDocument.Parse(task.Result!);
        Assert.Equal(Q4Bytes.Length, doc.RootElement.GetProperty("bytes_done").GetInt64());
        Assert.Equal(Q4Bytes.Length, doc.RootElement.GetProperty("bytes_total").GetInt64());
    }

    [Fact]
    public async Task A_server_that_ignores_the_range_restarts_the_file_cleanly()
    {
        string incomplete = Path.Combine(RepoDir, "blobs", FakeHub.Sha256(Q8Bytes) + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        await File.WriteAllBytesAsync(incomplete, new byte[5000]); // not a prefix of the file: appended to, it would fail the sha256
        hub.IgnoreRange = true;

        var result = await PullAsync("hf:test/tiny-GGUF:Q8_0");

        Assert.Contains(hub.Requests, q => q.Range == "bytes=5000-" && q.Status == 200);
        Assert.Equal(Q8Bytes, await File.ReadAllBytesAsync(result.Path));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_advertised_sha256_are_refused_and_leave_nothing_in_the_cache()
    {
        hub.Advertise(Repo, Q8, FakeHub.Sha256(Q4Bytes));

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync("hf:test/tiny-GGUF:Q8_0", recordTask: true));

        Assert.Equal("sha256_mismatch", e.Code);
        Assert.Contains("does not match", e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs")));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
        var task = Assert.Single(await TasksAsync());
        Assert.Equal(Jobs.TaskStatus.Failed, task.Status);
        Assert.Equal("sha256_mismatch", task.Error!.Code);
    }

    [Fact]
    public async Task Downloads_follow_the_lfs_redirect_but_metadata_is_read_from_the_redirect_itself()
    {
        hub.RedirectToLfs = true;

        var result = await PullAsync("hf:test/tiny-GGUF:Q8_0");

        Assert.Equal(Q8Bytes, await File.ReadAllBytesAsync(result.Path));
        Assert.Contains(hub.Requests, q => q.Method == "GET" && q.Path.StartsWith("/lfs/", StringComparison.Ordinal) && q.Status == 200);
        Assert.Contains(hub.Requests, q => q.Method == "HEAD" && q.Status == 302);
    }

    [Fact]
    public async Task A_small_git_file_is_verified_by_its_git_blob_sha1()
    {
        byte[] readme = "# tiny"u8.ToArray();
        string gitSha1 = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. "blob 6\0"u8.ToArray(), .. readme]));
        hub.Advertise(Repo, "README.md", gitSha1);

        var result = await PullAsync("hf:test/tiny-GGUF:README.md");

        Assert.Equal(readme, await File.ReadAllBytesAsync(result.Path));
        Assert.Equal($"../../blobs/{gitSha1}", new FileInfo(result.Path).LinkTarget);
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_header_to_the_hub_but_not_to_the_storage_host()
    {
        hub.RedirectToLfs = true;
        hub.LfsHost = "localhost";

        var result = await PullAsync("hf:test/tiny-GGUF:Q8_0", token: "hf_secret_token");

        Assert.Equal(Q8Bytes, await File.ReadAllBytesAsync(result.Path));
        var (storage, hubApi) = (hub.Requests.Where(q => q.Path.StartsWith("/lfs/", StringComparison.Ordinal)).ToList(), hub.Requests.Where(q => !q.Path.StartsWith("/lfs/", StringComparison.Ordinal)).ToList());
        Assert.NotEmpty(storage);
        Assert.All(storage, q => Assert.Null(q.Authorization));
        Assert.Equal(3, hubApi.Count); // revision, HEAD, GET (302)
        Assert.All(hubApi, q => Assert.Equal("Bearer hf_secret_token", q.Authorization));
        Assert.DoesNotContain("hf_secret_token", Settings("hf_secret_token", false).ToString());
    }

    [Fact]
    public async Task Offline_the_cache_alone_answers_and_a_missing_file_is_one_clear_line()
    {
        var online = await PullAsync("hf:test/tiny-GGUF:Q8_0");
        int asked = hub.Requests.Count;

        var offline = await PullAsync("hf:test/tiny-GGUF:Q8_0", offline: true);
        var missing = await Assert.ThrowsAsync<HubException>(() => PullAsync("hf:test/tiny-GGUF:Q4_K_M", offline: true));

        Assert.Equal(online.Path, offline.Path);
        Assert.True(offline.FromCacheOnly);
        Assert.Equal(asked, hub.Requests.Count);
        Assert.Equal("not_cached", missing.Code);
        Assert.Contains("HF_HUB_OFFLINE", missing.Message);
        Assert.DoesNotContain('\n', missing.Message);
    }

    [Theory]
    [InlineData("hf:test/nope", "repo_not_found", "repository test/nope not found")]
    [InlineData("hf:test/tiny-GGUF:missing.gguf", "file_not_found", "has no file 'missing.gguf'")]
    [InlineData("hf:test/tiny-GGUF:Q3_K_S", "file_not_found", "no .gguf file for quantization 'Q3_K_S' (files: tiny-Q8_0.gguf, tiny-q4_k_m.gguf)")]
    [InlineData("hf:test/tiny-GGUF@v9", "revision_not_found", "has no revision 'v9'")]
    public async Task Unknown_repositories_files_quant_tags_and_revisions_are_one_clear_line(string reference, string code, string message)
    {
        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(reference));

        Assert.Equal(code, e.Code);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "blobs")));
    }

    private HubSettings Settings(string? token, bool offline) => new(new Uri(hub.Endpoint), CacheDir, token, offline);

    private async Task<PullResult> PullAsync(string reference, bool recordTask = false, string? token = null, bool offline = false, IPullListener? listener = null)
    {
        var puller = new HubPuller(Settings(token, offline), TimeProvider.System);
        listener ??= new RecordingListener();
        if (!recordTask)
        {
            return await puller.PullAsync(HubReference.Parse(reference), listener, CancellationToken.None);
        }

        await using var recorder = new PullTaskRecorder(OpenStoreAsync, "default", TimeProvider.System);
        return await puller.PullAsync(HubReference.Parse(reference), new CompositePullListener(listener, recorder), CancellationToken.None);
    }

    private async Task<IJobStore> OpenStoreAsync(CancellationToken ct) =>
        await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Path.Combine(temp.FullName, "cyllm.db")), ct);

    private async Task<IReadOnlyList<TaskRecord>> TasksAsync()
    {
        await using var store = await OpenStoreAsync(CancellationToken.None);
        return await store.ListTasksAsync("default", TaskKind.ModelPull, 100);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
