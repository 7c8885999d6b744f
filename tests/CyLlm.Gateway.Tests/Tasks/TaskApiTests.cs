using System.Text.Json;
using CsCheck;
using CyLlm.Gateway.Endpoints.Tasks;
using CyLlm.Gateway.Tests.Batches;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Gateway.Tests.Tasks;

/// <summary>GET /v1/tasks/{id} and GET /v1/tasks: any task of the caller's tenant, consistent by construction.</summary>
public sealed class TaskApiTests
{
    [Fact]
    public async Task A_finished_batch_reads_as_a_succeeded_task_with_timestamps()
    {
        await using var s = await LiveServer.StartAsync(new Gateway.GatewayOptions { BackendFactory = () => new PermitBackend() });
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(3));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
        var batch = await DurableApi.WaitTerminalAsync(s.Http, id);

        var task = await DurableApi.GetJsonAsync(s.Http, $"/v1/tasks/{id}");
        Assert.Equal(id, task.GetProperty("id").GetString());
        Assert.Equal("task", task.GetProperty("object").GetString());
        Assert.Equal("batch", task.GetProperty("kind").GetString());
        Assert.Equal("succeeded", task.GetProperty("status").GetString());
        Assert.Equal("completed", task.GetProperty("stage").GetString());
        Assert.Equal(100, task.GetProperty("progress").GetInt32());
        Assert.True(task.GetProperty("is_completed").GetBoolean());
        Assert.Equal(batch.GetProperty("created_at").GetInt64(), task.GetProperty("created_at").GetInt64());
        Assert.Equal(batch.GetProperty("completed_at").GetInt64(), task.GetProperty("finished_at").GetInt64());
        Assert.Equal(batch.GetProperty("in_progress_at").GetInt64(), task.GetProperty("started_at").GetInt64());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("error").ValueKind);

        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/tasks?kind=batch&status=succeeded");
        Assert.Equal([id], list.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray());
        var none = await DurableApi.GetJsonAsync(s.Http, "/v1/tasks?status=failed");
        Assert.Equal(0, none.GetProperty("data").GetArrayLength());
        var ft = await DurableApi.GetJsonAsync(s.Http, "/v1/tasks?kind=fine_tuning");
        Assert.Equal(0, ft.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_failed_batch_reads_as_a_failed_task_with_its_error()
    {
        await using var s = await LiveServer.StartAsync(new Gateway.GatewayOptions { BackendFactory = () => new PermitBackend() });
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(2));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!, "/v1/completions")).GetProperty("id").GetString()!;
        await DurableApi.WaitTerminalAsync(s.Http, id);
        var task = await DurableApi.GetJsonAsync(s.Http, $"/v1/tasks/{id}");
        Assert.Equal("failed", task.GetProperty("status").GetString());
        Assert.True(task.GetProperty("is_completed").GetBoolean());
        Assert.Equal("invalid_input_file", task.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_model_pull_written_by_the_cli_is_listed_with_its_progress()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var store = s.App.State.Store;
        var now = store.Time.GetUtcNow();
        var task = await store.CreateTaskAsync(TaskStateMachine.Create(TaskId.New(TaskKind.ModelPull), "default", now, "{\"repo\":\"a/b\"}"));
        task = await store.UpdateTaskAsync(TaskStateMachine.MoveTo(task, TaskStage.Running, now), task.Version);
        await store.UpdateTaskAsync(TaskStateMachine.ReportProgress(task, 42, now), task.Version);

        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/tasks?kind=model_pull");

        var only = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(task.Id.Value, only.GetProperty("id").GetString());
        Assert.StartsWith("pull-", only.GetProperty("id").GetString());
        Assert.Equal("model_pull", only.GetProperty("kind").GetString());
        Assert.Equal("running", only.GetProperty("status").GetString());
        Assert.Equal(42, only.GetProperty("progress").GetInt32());
    }

    [Fact]
    public async Task Unknown_ids_and_bad_filters_get_clear_errors()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/tasks/batch_doesnotexist"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/tasks/whatever"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/tasks?kind=train"), 400, "invalid_request_error", "kind");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/tasks?status=done"), 400, "invalid_request_error", "status");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/tasks?limit=1000"), 400, "invalid_request_error", "limit");
    }

    /// <summary>Whatever legal path a task takes, its Tasks API view satisfies the documented invariants.</summary>
    [Fact]
    public void Every_reachable_task_state_maps_to_a_consistent_view()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var kinds = Enum.GetValues<TaskKind>();
        var genKind = Gen.Int[0, kinds.Length - 1].Select(i => kinds[i]);
        var genOps = Gen.Int[0, 1000].Array[0, 12];
        Gen.Select(genKind, genOps).Sample((kind, ops) =>
        {
            var task = TaskStateMachine.Create(TaskId.New(kind), "default", t0);
            Check(task);
            var stages = TaskStateMachine.StagesOf(kind);
            int minute = 0;
            foreach (int op in ops)
            {
                var now = t0.AddMinutes(++minute);
                try
                {
                    var stage = stages[op % stages.Count];
                    task = (op % 3) switch
                    {
                        0 => TaskStateMachine.ReportProgress(task, op % 101, now),
                        1 => TaskStateMachine.RequestCancel(task, now),
                        _ => TaskStateMachine.MoveTo(task, stage, now, TaskStateMachine.StatusOf(kind, stage) == TaskStatus.Failed ? new TaskError("boom", "it broke") : null),
                    };
                }
                catch (IllegalTransitionException)
                {
                    continue;
                }

                Check(task);
            }
        }, iter: 2000);
    }

    private static void Check(TaskRecord task)
    {
        var view = TaskObject.From(task);
        bool terminal = view.Status is "succeeded" or "failed" or "cancelled";
        Assert.Equal(terminal, view.IsCompleted);
        Assert.Equal(terminal, view.FinishedAt is not null);
        Assert.Equal(view.Status == "failed", view.Error is not null);
        Assert.True(view.Status != "succeeded" || view.Progress == 100);
        Assert.InRange(view.Progress, 0, 100);
        Assert.Equal(TaskApiNames.Status(TaskStateMachine.StatusOf(task.Kind, task.Stage)), view.Status);
        Assert.True(view.StartedAt is null || view.StartedAt >= view.CreatedAt);
        Assert.Empty(TaskConsistencyChecker.Validate(task));
    }
}
