using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CyLlm.Jobs;
using CyLlm.Jobs.Sqlite;

namespace CyLlm.Cli.Tests.Hub;

/// <summary>`cyllm pull` and `--model hf:...` as real processes against a <see cref="FakeHub"/>: error lines, the token, kill -9 and resume, offline generate.</summary>
public sealed class PullCommandTests : IAsyncLifetime
{
    private const string Repo = "test/stories-GGUF";
    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";
    private const string File = "stories260K-f32.gguf";
    private const string Token = "hf_do_not_print_me_42";

    private static readonly byte[] Stories = System.IO.File.ReadAllBytes(CliProcess.Shared("stories260K.gguf"));

    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("cyllm-pull-");
    private FakeHub hub = null!;

    private string Blob => Path.Combine(temp.FullName, "hf", "hub", "models--test--stories-GGUF", "blobs", FakeHub.Sha256(Stories));

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        hub.AddRepo(Repo, Commit, ("README.md", "# stories"u8.ToArray()), (File, Stories));
    }

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        temp.Delete(recursive: true);
    }

    [Fact]
    public void Pull_prints_the_cached_path_sends_the_token_without_printing_it_and_records_a_task()
    {
        var (code, stdout, stderr) = CliProcess.Run(Env(token: Token), "pull", $"hf:{Repo}");

        Assert.True(code == 0, stderr);
        string path = stdout.Trim();
        Assert.EndsWith(Path.Combine("snapshots", Commit, File), path);
        Assert.Equal(Stories, System.IO.File.ReadAllBytes(path));
        Assert.Contains($"Bearer {Token}", hub.Requests.Select(q => q.Authorization));
        Assert.DoesNotContain(Token, stdout + stderr);
        Assert.Contains("100%", stderr); // redirected: progress as lines
        var task = Assert.Single(Tasks());
        Assert.Equal(TaskKind.ModelPull, task.Kind);
        Assert.Equal(Jobs.TaskStatus.Succeeded, task.Status);

        var again = CliProcess.Run(Env(), "pull", $"hf:{Repo}:{File}");
        Assert.True(again.ExitCode == 0, again.StdErr);
        Assert.Equal(path, again.StdOut.Trim());
        Assert.Contains("already in the cache", again.StdErr);
        Assert.Equal(1, hub.Downloads);
    }

    [Theory]
    [InlineData("hf:test/missing", "repository test/missing not found")]
    [InlineData("hf:test/stories-GGUF:nothere.gguf", "has no file 'nothere.gguf'")]
    [InlineData("hf:test/stories-GGUF:Q4_K_M", "has no .gguf file for quantization 'Q4_K_M' (files: stories260K-f32.gguf)")]
    public void Unknown_repo_file_or_quant_is_one_line_and_exit_1(string model, string message)
    {
        var (code, stdout, stderr) = CliProcess.Run(Env(), "pull", model);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task A_pull_killed_mid_download_resumes_with_a_range_request_when_run_again()
    {
        hub.StallNextDownloadAfter(Stories.Length * 3 / 4);
        var psi = CliProcess.StartInfo(Env(), "pull", $"hf:{Repo}:{File}");
        using (var p = Process.Start(psi)!)
        {
            // Killed once its progress line shows the bytes are on disk (each chunk is written unbuffered before it is reported).
            var half = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            p.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line && Regex.Match(line, @": (\d+)% ") is { Success: true } m && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= 50)
                {
                    half.TrySetResult();
                }
            };
            p.BeginErrorReadLine();
            await half.Task.WaitAsync(TimeSpan.FromSeconds(60));
            p.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await p.WaitForExitAsync();
        }

        long kept = new FileInfo(Blob + ".incomplete").Length;
        Assert.InRange(kept, Stories.Length / 2, Stories.Length * 3 / 4);
        Assert.False(System.IO.File.Exists(Blob));
        Assert.Equal(Jobs.TaskStatus.Running, Assert.Single(Tasks()).Status);

        var (code, stdout, stderr) = CliProcess.Run(Env(), "pull", $"hf:{Repo}:{File}");

        Assert.True(code == 0, stderr);
        Assert.Contains(hub.Requests, q => q.Method == "GET" && q.Range == $"bytes={kept}-" && q.Status == 206);
        Assert.Contains("resuming at", stderr);
        Assert.Equal(FakeHub.Sha256(Stories), FakeHub.Sha256(System.IO.File.ReadAllBytes(stdout.Trim())));
        Assert.Equal(Jobs.TaskStatus.Succeeded, Assert.Single(Tasks()).Status);
    }

    [Fact]
    public void Offline_generate_runs_from_the_cache_without_the_hub()
    {
        var pulled = CliProcess.Run(Env(), "pull", $"hf:{Repo}");
        Assert.True(pulled.ExitCode == 0, pulled.StdErr);
        int asked = hub.Requests.Count;

        // The endpoint now points at a closed port: any connection attempt would fail the command.
        var env = Env(endpoint: "http://127.0.0.1:9", offline: true);
        var (code, stdout, stderr) = CliProcess.Run(env, "generate", "--model", $"hf:{Repo}:{File}", "--temperature", "0", "--max-tokens", "20");
        var missing = CliProcess.Run(env, "generate", "--model", "hf:test/other-GGUF:Q4_K_M");

        Assert.True(code == 0, stderr);
        Assert.StartsWith("Once upon a time", stdout);
        Assert.Equal(asked, hub.Requests.Count);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("HF_HUB_OFFLINE is set and hf:test/other-GGUF:Q4_K_M is not in the cache", missing.StdErr);
        Assert.Single(missing.StdErr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Serve_pulls_a_missing_hf_model_then_serves_it_and_lists_the_pull_task()
    {
        string data = Path.Combine(temp.FullName, "data");
        using var serve = ServeProcess.Start(Env(), "--data-dir", data, "--threads", "1", "--model", $"hf:{Repo}");
        await serve.WaitReadyAsync();

        string models = await serve.Http.GetStringAsync("/v1/models");
        string tasks = await serve.Http.GetStringAsync("/v1/tasks?kind=model_pull");

        Assert.Contains("\"stories260K-f32\"", models);
        Assert.True(System.IO.File.Exists(Blob));
        using var doc = JsonDocument.Parse(tasks);
        var task = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("model_pull", task.GetProperty("kind").GetString());
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.Equal(100, task.GetProperty("progress").GetInt32());
    }

    private Dictionary<string, string?> Env(string? token = null, string? endpoint = null, bool offline = false) => new()
    {
        ["HF_ENDPOINT"] = endpoint ?? hub.Endpoint,
        ["HF_HOME"] = Path.Combine(temp.FullName, "hf"),
        ["HF_HUB_CACHE"] = null,
        ["HUGGINGFACE_HUB_CACHE"] = null,
        ["HF_TOKEN"] = token,
        ["HUGGING_FACE_HUB_TOKEN"] = null,
        ["HF_TOKEN_PATH"] = null,
        ["HF_HUB_OFFLINE"] = offline ? "1" : null,
        ["CYLLM_DATA_DIR"] = Path.Combine(temp.FullName, "data"),
    };

    private IReadOnlyList<TaskRecord> Tasks()
    {
        var store = SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Path.Combine(temp.FullName, "data", "cyllm.db"))).GetAwaiter().GetResult();
        try
        {
            return store.ListTasksAsync("default", TaskKind.ModelPull, 100).GetAwaiter().GetResult();
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
