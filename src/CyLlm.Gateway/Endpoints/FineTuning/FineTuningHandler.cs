using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Idempotency;
using CyLlm.Gateway.Json;
using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using CyLlm.Training.FineTuning;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>The fine-tuning job API over the task store; the job worker (Hosting/FineTuneHostedService) runs them.</summary>
public static class FineTuningHandler
{
    public const string FilePurpose = "fine-tune";

    public static async Task<IResult> CreateAsync(HttpContext ctx, GatewayState state)
    {
        var caller = ctx.GetCaller();
        _ = IdempotencyKeys.ReadKey(ctx);
        byte[] body = await RequestReader.ReadBodyAsync(ctx, state.Options.MaxBodyBytes);
        ctx.Request.Body = new MemoryStream(body, writable: false);
        ctx.Request.ContentLength = body.Length;
        var req = await RequestReader.ReadAsync<CreateFineTuningJobRequest>(ctx, state.Options.MaxBodyBytes);
        if (string.IsNullOrWhiteSpace(req.Model))
        {
            throw ApiError.BadRequest("model is required", "model");
        }

        // Any served base model (not an adapter): the job stores its file so the trainer loads that model and the
        // adapter is registered on its host.
        var host = ServedModels.Require(state, req.Model, what: "base model");
        var backend = ServedModels.RequireBackend(host);

        if (!caller.MayUseModel(req.Model))
        {
            throw new ApiError(403, ErrorCodes.InsufficientScope, $"This API key may not use the model '{req.Model}'. Fix: use a key whose allow-list includes it", "model");
        }

        string trainingPath = await ResolveFileAsync(state, caller, req.TrainingFile, "training_file", ctx.RequestAborted);
        string? validationPath = req.ValidationFile is null ? null : await ResolveFileAsync(state, caller, req.ValidationFile, "validation_file", ctx.RequestAborted);
        var spec = FineTuningRequestMapper.ToSpec(req, backend.ModelId, trainingPath, validationPath) with { BaseModelPath = host.ModelPath };
        if (!spec.IsLora)
        {
            FineTuneMemory.CheckFull(state.Options, host.ModelPath);
        }

        var outcome = await IdempotencyKeys.RunAsync(ctx, state, IdempotencyKeys.HashOf(ctx, body), async ct =>
        {
            var id = TaskId.New(TaskKind.FineTuning);
            var task = await state.Store.CreateTaskAsync(TaskStateMachine.Create(id, caller.TenantId, state.Time.GetUtcNow(), FineTuneJson.Serialize(spec)), ct);
            return (200, IdempotencyKeys.Json(FineTuningPresenter.Job(task)));
        });
        return IdempotencyKeys.ToResult(ctx, outcome);
    }

    public static async Task<IResult> ListAsync(HttpContext ctx, GatewayState state)
    {
        var caller = ctx.GetCaller();
        int limit = Limit(ctx);
        TaskId? after = ctx.Request.Query["after"].FirstOrDefault() is { Length: > 0 } a ? ParseId(a, "after") : null;
        var tasks = await state.Store.ListTasksAsync(caller.TenantId, TaskKind.FineTuning, limit + 1, after, ctx.RequestAborted);
        var data = tasks.Take(limit).Select(FineTuningPresenter.Job).ToList();
        return JsonResults.Ok(new FineTuningList<FineTuningJobObject>("list", data, tasks.Count > limit, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id));
    }

    public static async Task<IResult> GetAsync(HttpContext ctx, GatewayState state, string id) =>
        JsonResults.Ok(FineTuningPresenter.Job(await RequireJobAsync(ctx, state, id)));

    public static async Task<IResult> CancelAsync(HttpContext ctx, GatewayState state, string id)
    {
        var task = await RequireJobAsync(ctx, state, id);
        for (int attempt = 0; ; attempt++)
        {
            if (task.IsTerminal)
            {
                throw ApiError.BadRequest($"Job {id} is already {TaskApiNames.OpenAiStatus(task)} and cannot be cancelled", "fine_tuning_job_id");
            }

            try
            {
                task = await state.Store.UpdateTaskAsync(TaskStateMachine.RequestCancel(task, state.Time.GetUtcNow()), task.Version, message: "cancel requested through the API", ct: ctx.RequestAborted);
                return JsonResults.Ok(FineTuningPresenter.Job(task));
            }
            catch (ConcurrencyConflictException) when (attempt < 20)
            {
                // The worker wrote progress meanwhile; cancel the fresh record.
                task = await RequireJobAsync(ctx, state, id);
            }
        }
    }

    public static async Task<IResult> EventsAsync(HttpContext ctx, GatewayState state, string id)
    {
        var task = await RequireJobAsync(ctx, state, id);
        int limit = Limit(ctx);
        long? after = ctx.Request.Query["after"].FirstOrDefault() is { Length: > 0 } a
            ? (a.StartsWith("ftevent-", StringComparison.Ordinal) && long.TryParse(a.AsSpan(8), out long seq) ? seq : throw ApiError.BadRequest("after must be an event id (ftevent-N)", "after"))
            : null;
        var history = await state.Store.GetTaskHistoryAsync(task.Id, ctx.RequestAborted);

        // Newest first, like OpenAI; "after" pages towards older events.
        var events = history.Where(e => after is null || e.Sequence < after).OrderByDescending(e => e.Sequence).ToList();
        var page = events.Take(limit).Select(FineTuningPresenter.Event).ToList();
        return JsonResults.Ok(new FineTuningList<FineTuningEventObject>("list", page, events.Count > limit, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id));
    }

    public static async Task<IResult> CheckpointsAsync(HttpContext ctx, GatewayState state, string id)
    {
        var task = await RequireJobAsync(ctx, state, id);
        var spec = FineTuneJson.Deserialize<FineTuneJobSpec>(task.Input!);
        int limit = Limit(ctx);
        var checkpoints = await state.Store.ListCheckpointsAsync(task.Id, ctx.RequestAborted);
        var metrics = FineTuningPresenter.CheckpointMetrics(await state.Store.GetTaskHistoryAsync(task.Id, ctx.RequestAborted));
        string model = spec.FineTunedModelName(task.Id.Value);
        var data = checkpoints.OrderByDescending(c => c.Step).Take(limit).Select(c => new FineTuningCheckpointObject(
            "fine_tuning.job.checkpoint",
            $"ftckpt-{task.Id.Value[6..]}-{c.Step}",
            c.CreatedAt.ToUnixTimeSeconds(),
            $"{model}:ckpt-step-{c.Step}",
            c.Step,
            metrics.TryGetValue(c.Step, out var m) ? m : new Dictionary<string, double> { ["step"] = c.Step },
            task.Id.Value)).ToList();
        return JsonResults.Ok(new FineTuningList<FineTuningCheckpointObject>("list", data, checkpoints.Count > limit, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id));
    }

    private static async Task<string> ResolveFileAsync(GatewayState state, Caller caller, string? fileId, string param, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(fileId))
        {
            throw ApiError.BadRequest($"{param} is required (upload it with POST /v1/files, purpose \"fine-tune\")", param);
        }

        var file = await state.Store.GetFileAsync(caller.TenantId, fileId, ct)
            ?? throw ApiError.BadRequest($"{param} '{fileId}' does not exist (upload it with POST /v1/files, purpose \"fine-tune\")", param);
        if (file.Purpose != FilePurpose)
        {
            throw ApiError.BadRequest($"{param} '{fileId}' has purpose '{file.Purpose}', not 'fine-tune'", param);
        }

        // The trainer reads by path: a store-held file is copied (verified) into this replica's cache first.
        return await state.StoreHost.Contents.MaterializeAsync(file, state.StoreHost.FileCacheDirectory, ct);
    }

    private static async Task<TaskRecord> RequireJobAsync(HttpContext ctx, GatewayState state, string id)
    {
        var taskId = ParseId(id, "fine_tuning_job_id");
        return await state.Store.GetTaskForTenantAsync(ctx.GetCaller().TenantId, taskId, ctx.RequestAborted)
            ?? throw new ApiError(404, ErrorCodes.NotFound, $"No fine-tuning job '{id}'. Fix: use an id from GET /v1/fine_tuning/jobs", "fine_tuning_job_id");
    }

    private static TaskId ParseId(string id, string param) =>
        TaskId.TryParse(id, out var taskId) && taskId.Kind == TaskKind.FineTuning
            ? taskId
            : throw new ApiError(404, ErrorCodes.NotFound, $"No fine-tuning job '{id}'. Fix: use an id from GET /v1/fine_tuning/jobs", param);

    private static int Limit(HttpContext ctx)
    {
        string? s = ctx.Request.Query["limit"].FirstOrDefault();
        if (s is null)
        {
            return 20;
        }

        return int.TryParse(s, out int n) && n is >= 1 and <= 100 ? n : throw ApiError.BadRequest("limit must be an integer from 1 to 100", "limit");
    }
}
