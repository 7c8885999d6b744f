using CyLlm.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CyLlm.Gateway.WebConsole;

/// <summary>
/// The web console: <c>GET /</c> answers its page, <c>GET /console/{path}</c> its scripts and style sheet, all from
/// <see cref="ConsoleAssets"/> with security headers (<see cref="ConsoleHeaders"/>) and ETag revalidation. Unknown
/// files are a 404 OpenAI error object like every other unknown path. Switched off with <c>--no-console</c>.
/// </summary>
public static class ConsoleRoutes
{
    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", ["GET", "HEAD"], (HttpContext ctx) => Serve(ctx, "index.html")).WithMetadata(new ConsoleRoute());
        app.MapMethods("/console/{**path}", ["GET", "HEAD"], (HttpContext ctx, string? path) => Serve(ctx, path ?? "")).WithMetadata(new ConsoleRoute());
        return app;
    }

    private static IResult Serve(HttpContext ctx, string path)
    {
        // index.html has one address, "/": serving it under /console/ too would give the page two origins of truth.
        if ((path == "index.html" && ctx.Request.Path != "/") || !ConsoleAssets.TryGet(path, out var asset))
        {
            throw new ApiError(404, ErrorCodes.NotFound, $"The console has no file '{path}'. Fix: open the console at /");
        }

        ConsoleHeaders.Apply(ctx.Response);
        ctx.Response.Headers.ETag = asset.ETag;
        // Not fingerprinted: revalidate each time (a 304 on loopback costs well under a millisecond).
        ctx.Response.Headers.CacheControl = "no-cache";
        if (ctx.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
