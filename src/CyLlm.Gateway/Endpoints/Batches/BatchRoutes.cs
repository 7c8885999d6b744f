using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>The OpenAI Batch API, scoped to the caller's tenant. Batches are tasks of kind Batch run by <see cref="BatchWorker"/>.</summary>
public static class BatchRoutes
{
    public const int MaxListLimit = 100;

    public static IEndpointRouteBuilder MapBatches(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/batches", (Delegate)BatchCreateHandler.HandleAsync);
        app.MapGet("/v1/batches", (Delegate)ListAsync);
        app.MapGet("/v1/batches/{id}", async (HttpContext ctx, string id) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            return JsonResults.Ok(await BatchMapper.ToObjectAsync(state.Store, await RequireAsync(ctx, id), ctx.RequestAborted));
        });
        app.MapPost("/v1/batches/{id}/cancel", CancelAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        int limit = FileRoutes.QueryInt(ctx.Request.Query["limit"].FirstOrDefault(), "limit", 1, MaxListLimit, 20);
        string? afterText = ctx.Request.Query["after"].FirstOrDefault();
        TaskId? after = null;
        if (!string.IsNullOrEmpty(afterText))
        {
            if (!TaskId.TryParse(afterText, out var a) || a.Kind != TaskKind.Batch)
            {
                throw ApiError.BadRequest($"after must be a batch id (batch_…), got '{(afterText.Length <= 40 ? afterText : afterText[..40])}'", "after");
            }

            after = a;
        }

        var tasks = await state.Store.ListTasksAsync(caller.TenantId, TaskKind.Batch, limit + 1, after, ctx.RequestAborted);
        var data = new List<BatchObject>(Math.Min(tasks.Count, limit));
        for (int i = 0; i < tasks.Count && i < limit; i++)
        {
            data.Add(await BatchMapper.ToObjectAsync(state.Store, tasks[i], ctx.RequestAborted));
        }

        return JsonResults.Ok(new BatchList("list", data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, tasks.Count > limit));
    }

    private static async Task<IResult> CancelAsync(HttpContext ctx, string id)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var task = await RequireAsync(ctx, id);
        if (task.Stage != TaskStage.Cancelling)
        {
            try
            {
                task = await BatchRunner.RequestCancelAsync(state.Store, task.Id, ctx.RequestAborted);
            }
            catch (IllegalTransitionException)
            {
                var now = await state.Store.GetTaskAsync(task.Id, ctx.RequestAborted) ?? task;
                throw new ApiError(409, ErrorCodes.InvalidRequest,
                    $"Batch '{task.Id}' cannot be cancelled: its status is '{TaskApiNames.Stage(now.Stage)}'. Fix: only validating or in_progress batches can be cancelled");
            }

            ctx.RequestServices.GetService<BatchWorker>()?.Wake();
        }

        return JsonResults.Ok(await BatchMapper.ToObjectAsync(state.Store, task, ctx.RequestAborted));
    }

    /// <summary>The caller's batch, or 404 (also for malformed ids, other kinds and other tenants' batches).</summary>
    public static async Task<TaskRecord> RequireAsync(HttpContext ctx, string id)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        TaskRecord? task = null;
        if (TaskId.TryParse(id, out var tid) && tid.Kind == TaskKind.Batch)
        {
            task = await state.Store.GetTaskForTenantAsync(caller.TenantId, tid, ctx.RequestAborted);
        }

        return task ?? throw new ApiError(404, ErrorCodes.NotFound,
            $"No batch with id '{(id.Length <= 100 ? id : id[..100] + "…")}' exists. Fix: use an id from GET /v1/batches (batches are visible only to their own tenant)");
    }
}
