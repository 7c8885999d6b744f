using System.Text.Json;
using CyLlm.Jobs.Diagnostics;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests;

public sealed class FailureEvidenceTests
{
    [Fact]
    public async Task Evidence_records_pragmas_row_counts_events_leases_idempotency_and_the_task_history()
    {
        using var dir = new TempDir();
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(dir.File("jobs.db")));
        var t = await store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.Batch), "tenant", store.Time.GetUtcNow()));
        await store.TryAcquireLeaseAsync(t.Id, "worker-1", TimeSpan.FromMinutes(1));
        await store.TryBeginIdempotentAsync("tenant", "k", "h", TimeSpan.FromHours(1));
        string path = await FailureEvidence.WriteAsync(dir.File("evidence"), "unit/scenario", new InvalidOperationException("boom"), store, t.Id,
            new Dictionary<string, string> { ["iteration"] = "17" });
        Assert.StartsWith(dir.File("evidence"), path);
        Assert.Contains("unit_scenario-", Path.GetFileName(path));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        Assert.Equal("boom", root.GetProperty("ErrorMessage").GetString());
        var s = root.GetProperty("Store");
        Assert.Equal("wal", s.GetProperty("Settings").GetProperty("journal_mode").GetString());
        Assert.Equal(1, s.GetProperty("RowCounts").GetProperty("tasks").GetInt64());
        Assert.Equal(1, s.GetProperty("RecentEvents").GetArrayLength());
        Assert.Equal("worker-1", s.GetProperty("Leases")[0].GetProperty("Owner").GetString());
        Assert.Equal(1, s.GetProperty("Idempotency").GetProperty("InProgress").GetInt64());
        Assert.Equal(t.Id.Value, s.GetProperty("FocusTask").GetProperty("Id").GetString());
        Assert.Equal("Validating", s.GetProperty("FocusHistory")[0].GetProperty("ToStage").GetString());
        Assert.Equal("17", root.GetProperty("Extra").GetProperty("iteration").GetString());
        Assert.Equal(0, root.GetProperty("ViolationCount").GetInt64());
    }

    [Fact]
    public async Task Evidence_without_a_reachable_store_still_records_the_failure()
    {
        using var dir = new TempDir();
        string path = await FailureEvidence.WriteAsync(dir.Path, "no-store", new TimeoutException("slow"), null);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal("System.TimeoutException", doc.RootElement.GetProperty("ErrorType").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("Store").ValueKind);
    }
}
