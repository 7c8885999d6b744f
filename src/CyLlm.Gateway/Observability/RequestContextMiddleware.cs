using System.Diagnostics;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Observability;

/// <summary>
/// Per request: assigns X-Request-Id (echoing a sane client id), answers with it and with the W3C
/// <c>traceparent</c> of the server span (ASP.NET Core continues an incoming traceparent's trace), opens a log scope
/// carrying both, and records the request metrics and one access-log line once the answer is known. Runs inside the
/// error middleware, so it sees the status of thrown errors before they are written.
/// </summary>
public sealed class RequestContextMiddleware(RequestDelegate next, GatewayMetrics metrics, CyLlm.Gateway.Hosting.GatewayState state, ILogger<RequestContextMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        long t0 = Stopwatch.GetTimestamp();
        string requestId = RequestIds.Assign(ctx);
        var activity = Activity.Current;
        activity?.SetTag("cyllm.request_id", requestId);
        // OnStarting runs when the headers go out — after the error middleware's Response.Clear().
        ctx.Response.OnStarting(static state =>
        {
            var (c, id, a) = ((HttpContext, string, Activity?))state;
            c.Response.Headers[RequestIds.Header] = id;
            if (a?.Id is { } tp && a.IdFormat == ActivityIdFormat.W3C)
            {
                c.Response.Headers["traceparent"] = tp;
            }

            return Task.CompletedTask;
        }, (ctx, requestId, activity));

        using var scope = log.BeginScope(new RequestScope(requestId, activity?.TraceId.ToString()));
        int status = 0;
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
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            status = 499;
            throw;
        }
        catch (BadHttpRequestException b)
        {
            status = b.StatusCode;
            throw;
        }
        catch (Exception)
        {
            status = 500;
            throw;
        }
        finally
        {
            Record(ctx, status, Stopwatch.GetElapsedTime(t0));
        }
    }

    private void Record(HttpContext ctx, int status, TimeSpan elapsed)
    {
        string endpoint = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        string model = RequestIds.ModelOf(ctx);
        string tenant = ctx.GetCaller().TenantId;
        metrics.Requests.Add(1, new("endpoint", endpoint), new("status", status), new("model", model), new("tenant", tenant));
        metrics.Duration.Record(elapsed.TotalSeconds, new("endpoint", endpoint), new("model", model), new("tenant", tenant));
        if (endpoint is not "/health" and not "/metrics")
        {
            metrics.ErrorRate.Record(state.Time.GetUtcNow(), status >= 500);
        }

        var level = status >= 500 ? LogLevel.Warning : LogLevel.Information;
        if (log.IsEnabled(level))
        {
            log.Log(level, "{Method} {Endpoint} {Status} in {ElapsedMs:0.###} ms (model {Model}, tenant {Tenant})",
                ctx.Request.Method, endpoint, status, elapsed.TotalMilliseconds, model, tenant);
        }
    }
}
