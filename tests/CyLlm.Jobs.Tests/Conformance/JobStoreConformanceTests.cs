using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using CyLlm.Jobs.Storage;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>
/// The one conformance suite every <see cref="IJobStore"/> must pass (derived: SQLite, PostgreSQL). Each test gets a
/// fresh database on a manual clock, runs inside <see cref="Scenario"/> (JSON evidence under artifacts/evidence on
/// failure) and most end by scanning the store: zero consistency violations.
/// </summary>
/// <remarks>Split by area over JobStoreConformanceTests.*.cs.</remarks>
public abstract partial class JobStoreConformanceTests : IAsyncLifetime
{
    protected const string TenantA = "tenant-a";
    protected const string TenantB = "tenant-b";

    private TaskId? focus;

    internal ManualTimeProvider Time { get; } = new();

    protected TaskConsistencyChecker Checker { get; } = new();

    protected IJobStore Store { get; private set; } = null!;

    /// <summary>Opens the store under test on a fresh database.</summary>
    internal abstract Task<IJobStore> OpenStoreAsync(TimeProvider time, TaskConsistencyChecker checker);

    /// <summary>Another store instance on the same database (another node or process).</summary>
    internal abstract Task<IJobStore> OpenSameDatabaseAsync();

    /// <summary>A store on a different, fresh database.</summary>
    internal abstract Task<IJobStore> OpenOtherDatabaseAsync();

    /// <summary>Runs SQL on the test database behind the store's back (to plant rows the store would refuse).</summary>
    protected abstract Task ExecuteRawAsync(string sql);

    protected abstract Task CleanupAsync();

    public async Task InitializeAsync() => Store = await OpenStoreAsync(Time, Checker);

    public async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        await CleanupAsync();
    }

    /// <summary>Runs a test body; on failure writes evidence (store diagnostics, focus task history) and rethrows.</summary>
    protected Task Scenario(Func<Task> body, [CallerMemberName] string name = "") =>
        Evidence.GuardAsync($"{Store.Provider}-{name}", () => Store, () => focus, body);

    protected void Focus(TaskId id) => focus = id;

    protected TaskRecord NewTask(TaskKind kind = TaskKind.FineTuning, string tenant = TenantA, string? input = null) =>
        TaskStateMachine.Create(TaskId.New(kind), tenant, Time.GetUtcNow(), input);

    protected async Task<TaskRecord> CreateAsync(TaskKind kind = TaskKind.FineTuning, string tenant = TenantA)
    {
        var t = await Store.CreateTaskAsync(NewTask(kind, tenant));
        Focus(t.Id);
        return t;
    }

    protected Task<TaskRecord> MoveAsync(TaskRecord t, TaskStage to, TaskError? error = null, Lease? fence = null) =>
        Store.UpdateTaskAsync(TaskStateMachine.MoveTo(t, to, Time.GetUtcNow(), error), t.Version, fence);

    /// <summary>A fine-tuning task moved to running (so it accepts progress).</summary>
    protected async Task<TaskRecord> CreateRunningAsync(string tenant = TenantA)
    {
        var t = await CreateAsync(TaskKind.FineTuning, tenant);
        t = await MoveAsync(t, TaskStage.Queued);
        return await MoveAsync(t, TaskStage.Running);
    }

    protected static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    /// <summary>Full scan: no task row or history breaks a rule, and the read path counted nothing either.</summary>
    protected async Task AssertConsistentAsync()
    {
        var report = await Checker.ScanAsync(Store);
        Assert.True(report.IsConsistent, string.Join("\n", report.Violations));
        Assert.Equal(0, Checker.ViolationCount);
    }
}
