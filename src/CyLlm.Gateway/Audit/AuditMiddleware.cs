using System.Diagnostics;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CyLlm.Gateway.Audit;

/// <summary>
/// One audit row per API request (not <c>/health</c>, <c>/metrics</c>) once it is answered: time, W3C trace id,
/// key prefix and tenant, endpoint as its route pattern (<c>/v1/admin/keys/{id}/revoke</c>, never ids from the
/// path), method, status, duration in ms and the usage handlers reported through <see cref="RequestUsage"/>. It
/// sits outside authentication so refused requests (401, 403, 429) are audited too; exceptions still on their way
/// to the error middleware are recorded with the status that middleware will send.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer, GatewayState state)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!AuthPolicy.IsAudited(ctx))
        {
            await next(ctx);
            return;
        }

        var at = state.Time.GetUtcNow();
        long t0 = Stopwatch.GetTimestamp();
        int status = StatusCodes.Status500InternalServerError;
        writer.BeginRequest();
        try
        {
            await next(ctx);
            status = ctx.Response.StatusCode;
        }
        catch (ApiError e)
        {
            status = e.Status;
            throw;
        }
        catch (BadHttpRequestException e)
        {
            status = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // nginx's "client closed request": nobody received an answer.
            status = 499;
            throw;
        }
        finally
        {
            writer.TryEnqueue(Row(ctx, at, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, status));
            writer.EndRequest();
        }
    }

    private static AuditRecord Row(HttpContext ctx, DateTimeOffset at, double ms, int status)
    {
        string? prefix = null;
        string? tenant = null;
        if (ctx.TryGetCaller(out var caller))
        {
            prefix = caller!.KeyPrefix;
            tenant = caller.TenantId;
        }
        else if (RejectedKey.Get(ctx) is { } rejected)
        {
            prefix = rejected.KeyPrefix;
            tenant = rejected.TenantId;
        }

        var usage = ctx.Features.Get<RequestUsage>();
        var activity = Activity.Current;
        string trace = activity is not null && activity.TraceId != default ? activity.TraceId.ToHexString() : ctx.TraceIdentifier;
        return new AuditRecord(0, at, trace, prefix, tenant, EndpointName(ctx), ctx.Request.Method, status, ms,
            usage?.PromptTokens ?? 0, usage?.CompletionTokens ?? 0);
    }

    /// <summary>The matched route pattern; "(unmatched)" for paths no route serves (the 404 fallback).</summary>
    private static string EndpointName(HttpContext ctx)
    {
        string? pattern = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        return pattern is null || pattern.StartsWith("{*", StringComparison.Ordinal) ? "(unmatched)"
            : pattern.StartsWith('/') ? pattern : "/" + pattern;
    }
}
