using System.Net;
using CyLlm.Gateway.Tests.FineTuning;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>A full fine-tune copies every base weight in F32 with gradients and optimizer state: it needs the operator's
/// switch (Gateway:AllowFullFineTuning) and is refused up front when its memory estimate does not fit.</summary>
public sealed class FullFineTuningTests
{
    private static async Task<(LiveServer Server, string FileId)> StartAsync(bool allow, long? available = null)
    {
        // The fake backend serves generation; the model file is what the memory estimate reads.
        var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with
        {
            ModelPath = RepoPaths.StoriesModel,
            ModelId = "fake",
            FineTuneExecutorFactory = _ => new ScriptedExecutor(),
            AllowFullFineTuning = allow,
            AvailableMemory = available is { } a ? () => a : null,
        });
        var state = server.App.State;
        string id = "file-ft" + Guid.NewGuid().ToString("N")[..8];
        string path = Path.Combine(state.StoreHost.FilesDirectory, id);
        await File.WriteAllTextAsync(path, "{\"messages\":[]}\n");
        await state.Store.AddFileAsync(new FileRecord(id, "default", "fine-tune", "train.jsonl", 16, new string('0', 64), path, DateTimeOffset.UtcNow));
        return (server, id);
    }

    private static string Job(string file, string method) => $$"""{"model":"fake","training_file":"{{file}}","training_method":"{{method}}"}""";

    [Fact]
    public async Task Full_fine_tuning_is_off_by_default_and_lora_is_unaffected()
    {
        var (s, file) = await StartAsync(allow: false);
        await using var _ = s;
        var e = await ErrorAssert.IsAsync(await s.PostJsonAsync("/v1/fine_tuning/jobs", Job(file, "full")), 400, "invalid_request_error", "training_method");
        Assert.Contains("Gateway:AllowFullFineTuning", e.GetProperty("message").GetString());
        Assert.Empty(await s.App.State.Store.ListTasksAsync("default", CyLlm.Jobs.TaskKind.FineTuning, 10));
        Assert.Equal(HttpStatusCode.OK, (await s.PostJsonAsync("/v1/fine_tuning/jobs", Job(file, "lora"))).StatusCode);
    }

    [Fact]
    public async Task A_full_fine_tune_that_does_not_fit_in_memory_is_refused_naming_needed_and_available()
    {
        var (s, file) = await StartAsync(allow: true, available: 1 << 20);
        await using var _ = s;
        var e = await ErrorAssert.IsAsync(await s.PostJsonAsync("/v1/fine_tuning/jobs", Job(file, "full")), 400, "insufficient_memory", "training_method");
        string message = e.GetProperty("message").GetString()!;
        Assert.Matches("needs about [0-9,]+ MiB", message);
        Assert.Contains("but 1 MiB is available", message, StringComparison.Ordinal);
        Assert.Empty(await s.App.State.Store.ListTasksAsync("default", CyLlm.Jobs.TaskKind.FineTuning, 10));
    }

    [Fact]
    public async Task A_full_fine_tune_that_fits_is_accepted_when_enabled()
    {
        var (s, file) = await StartAsync(allow: true, available: 1L << 40);
        await using var _ = s;
        Assert.Equal(HttpStatusCode.OK, (await s.PostJsonAsync("/v1/fine_tuning/jobs", Job(file, "full"))).StatusCode);
    }
}
