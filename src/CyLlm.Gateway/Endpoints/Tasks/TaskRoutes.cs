using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Gateway.Endpoints.Tasks;

/// <summary>GET /v1/tasks/{id} and GET /v1/tasks?kind=&amp;status=&amp;limit=&amp;after=: every task of the caller's tenant.</summary>
public static class TaskRoutes
{
    public const int MaxListLimit = 100;

    /// <summary>Store pages read at most per list request when a status filter skips rows.</summary>
    private const int MaxScanPages = 20;

    public static IEndpointRouteBuilder MapTasks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/tasks/{id}", async (HttpContext ctx, string id) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var caller = ctx.RequireScope(AuthScopes.Inference);
            TaskRecord? task = TaskId.TryParse(id, out var tid) ? await state.Store.GetTaskForTenantAsync(caller.TenantId, tid, ctx.RequestAborted) : null;
            return task is null
                ? throw new ApiError(404, ErrorCodes.NotFound, $"No task with id '{(id.Length <= 100 ? id : id[..100] + "…")}' exists. Fix: use an id returned by the API that created it (tasks are visible only to their own tenant)")
                : JsonResults.Ok(TaskObject.From(task));
        });
        app.MapGet("/v1/tasks", (Delegate)ListAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        var q = ctx.Request.Query;
        TaskKind? kind = ParseKind(q["kind"].FirstOrDefault());
        TaskStatus? status = ParseStatus(q["status"].FirstOrDefault());
        int limit = FileRoutes.QueryInt(q["limit"].FirstOrDefault(), "limit", 1, MaxListLimit, 20);
        TaskId? after = null;
        if (q["after"].FirstOrDefault() is { Length: > 0 } a)
        {
            after = TaskId.TryParse(a, out var id) ? id : throw ApiError.BadRequest("after must be a task id from a previous page", "after");
        }

        // The store filters by kind; a status filter is applied here page by page (tenants hold few live tasks).
        var data = new List<TaskObject>(limit);
        bool more = false;
        for (int page = 0; page < MaxScanPages && !more; page++)
        {
            var tasks = await state.Store.ListTasksAsync(caller.TenantId, kind, MaxListLimit, after, ctx.RequestAborted);
            foreach (var t in tasks)
            {
                if (status is not null && t.Status != status)
                {
                    continue;
                }

                if (data.Count == limit)
                {
                    more = true;
                    break;
                }

                data.Add(TaskObject.From(t));
            }

            if (tasks.Count < MaxListLimit)
            {
                break;
            }

            after = tasks[^1].Id;
        }

        return JsonResults.Ok(new TaskList("list", data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, more));
    }

    private static TaskKind? ParseKind(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (var k in Enum.GetValues<TaskKind>())
        {
            if (TaskObject.KindName(k) == text)
            {
                return k;
            }
        }

        throw ApiError.BadRequest($"kind must be one of fine_tuning, batch, transfer, export, model_pull (got '{Short(text)}')", "kind");
    }

    private static TaskStatus? ParseStatus(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (var s in Enum.GetValues<TaskStatus>())
        {
            if (TaskApiNames.Status(s) == text)
            {
                return s;
            }
        }

        throw ApiError.BadRequest($"status must be one of queued, running, succeeded, failed, cancelled (got '{Short(text)}')", "status");
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
