using CyLlm.Jobs;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;
using CyLlm.Training.FineTuning;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Training.Tests.FineTuning;

public sealed class FineTuneWorkerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cyllm-ftw-" + Guid.NewGuid().ToString("N")[..10]);
    private IJobStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Path.Combine(_dir, "jobs.db")));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private FineTuneWorkerOptions Options(string owner = "w1") => new()
    {
        Owner = owner,
        JobsDirectory = Path.Combine(_dir, "jobs"),
        HeartbeatInterval = TimeSpan.FromMilliseconds(20),
        LeaseDuration = TimeSpan.FromSeconds(2),
        ProgressInterval = TimeSpan.Zero,
    };

    private async Task<TaskId> CreateJob(int priority = 0, string? suffix = "demo")
    {
        var spec = new FineTuneJobSpec { Model = "base", TrainingFileId = "file-1", TrainingFilePath = "/nonexistent", Priority = priority, Suffix = suffix };
        var id = TaskId.New(TaskKind.FineTuning);
        await _store.CreateTaskAsync(TaskStateMachine.Create(id, "default", _store.Time.GetUtcNow(), FineTuneJson.Serialize(spec)));
        return id;
    }

    [Fact]
    public async Task A_job_moves_through_every_stage_to_succeeded_and_registers_its_model()
    {
        var id = await CreateJob();
        var exec = new FakeExecutor();
        string? registered = null;
        var worker = new FineTuneWorker(_store, exec, Options()) { OnSucceeded = (name, tenant, _) => { registered = name; Assert.Equal("default", tenant); return Task.CompletedTask; } };

        Assert.True(await worker.RunOnceAsync(CancellationToken.None));

        var task = (await _store.GetTaskAsync(id))!;
        Assert.Equal(TaskStatus.Succeeded, task.Status);
        Assert.Equal(100, task.Progress);
        var state = FineTuneWorker.ReadState(task);
        Assert.Equal($"ft:base:demo:{id.Value}", state.FineTunedModel);
        Assert.Equal(registered, state.FineTunedModel);
        Assert.Equal(168, state.TrainedTokens);
        var stages = (await _store.GetTaskHistoryAsync(id)).Select(e => e.ToStage).Distinct().ToArray();
        Assert.Equal([TaskStage.ValidatingFiles, TaskStage.Queued, TaskStage.Running, TaskStage.Succeeded], stages);
        Assert.Equal(4, (await _store.ListCheckpointsAsync(id)).Count);
        Assert.False(await worker.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_job_callback_gets_the_stored_spec_with_its_base_model_path_after_the_plain_one()
    {
        var spec = new FineTuneJobSpec { Model = "b", TrainingFileId = "file-1", TrainingFilePath = "/nonexistent", BaseModelPath = "/models/b.gguf" };
        var id = TaskId.New(TaskKind.FineTuning);
        await _store.CreateTaskAsync(TaskStateMachine.Create(id, "default", _store.Time.GetUtcNow(), FineTuneJson.Serialize(spec)));
        var calls = new List<string>();
        var worker = new FineTuneWorker(_store, new FakeExecutor { Steps = 1 }, Options())
        {
            OnSucceeded = (name, _, _) => { calls.Add("plain " + name); return Task.CompletedTask; },
            OnJobSucceeded = (s, name, tenant, _) => { calls.Add($"job {name} {s.BaseModelPath} {tenant}"); return Task.CompletedTask; },
        };

        Assert.True(await worker.RunOnceAsync(CancellationToken.None));
        Assert.Equal([$"plain ft:b::{id.Value}", $"job ft:b::{id.Value} /models/b.gguf default"], calls);
        Assert.Equal(TaskStatus.Succeeded, (await _store.GetTaskAsync(id))!.Status);
    }

    [Fact]
    public async Task Higher_priority_starts_first_and_equal_priorities_in_order()
    {
        var low = await CreateJob(priority: 0);
        var high = await CreateJob(priority: 5);
        var low2 = await CreateJob(priority: 0);
        var exec = new FakeExecutor { Steps = 1 };
        var worker = new FineTuneWorker(_store, exec, Options());
        while (await worker.RunOnceAsync(CancellationToken.None))
        {
        }

        Assert.Equal([high.Value, low.Value, low2.Value], exec.Started.ToArray());
    }

    [Fact]
    public async Task Invalid_files_fail_the_job_with_the_validation_error()
    {
        var id = await CreateJob();
        var worker = new FineTuneWorker(_store, new FakeExecutor { FailValidation = "line 3: messages[1].role: unknown role 'bot'" }, Options());
        await worker.RunOnceAsync(CancellationToken.None);
        var task = (await _store.GetTaskAsync(id))!;
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal("invalid_training_file", task.Error!.Code);
        Assert.Contains("line 3", task.Error.Message);
    }

    [Fact]
    public async Task Cancelling_through_the_store_stops_the_run_and_keeps_the_checkpoints()
    {
        var id = await CreateJob();
        var exec = new FakeExecutor { BlockAtStep = 3 };
        var worker = new FineTuneWorker(_store, exec, Options());
        var run = worker.RunOnceAsync(CancellationToken.None);
        await exec.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var t = (await _store.GetTaskAsync(id))!;
        await _store.UpdateTaskAsync(TaskStateMachine.RequestCancel(t, _store.Time.GetUtcNow()), t.Version);
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var task = (await _store.GetTaskAsync(id))!;
        Assert.Equal(TaskStatus.Cancelled, task.Status);
        Assert.Equal(2, (await _store.ListCheckpointsAsync(id)).Count);
    }

    [Fact]
    public async Task A_job_whose_worker_died_resumes_from_its_last_checkpoint_on_another_worker()
    {
        var id = await CreateJob();
        var dying = new FakeExecutor { BlockAtStep = 3 };
        using var kill = new CancellationTokenSource();
        var first = new FineTuneWorker(_store, dying, Options("w1") with { LeaseDuration = TimeSpan.FromMilliseconds(1500), HeartbeatInterval = TimeSpan.FromSeconds(30) });
        var run = first.RunOnceAsync(kill.Token);
        await dying.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The first worker stops beating (its heartbeat interval is longer than its lease); another takes over.
        var exec = new FakeExecutor();
        var second = new FineTuneWorker(_store, exec, Options("w2"));
        bool ran = false;
        // w1's lease (1.5 s, long enough to reach step 3 on a busy host) must lapse first; poll for up to ~20 s.
        for (int i = 0; i < 1000 && !ran; i++)
        {
            ran = await second.RunOnceAsync(CancellationToken.None);
            if (!ran)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(ran);
        Assert.Equal(2, exec.Runs.Single().ResumeFrom!.Step);
        Assert.Equal(TaskStatus.Succeeded, (await _store.GetTaskAsync(id))!.Status);
        Assert.Equal([1L, 2, 3, 4], (await _store.ListCheckpointsAsync(id)).Select(c => c.Step));
        kill.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
