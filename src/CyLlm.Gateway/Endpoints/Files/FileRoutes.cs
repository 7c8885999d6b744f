using System.Globalization;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>The OpenAI Files API, scoped to the caller's tenant: another tenant's file reads as 404.</summary>
public static class FileRoutes
{
    /// <summary>Largest page of GET /v1/files (OpenAI's limit).</summary>
    public const int MaxListLimit = 10_000;

    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/files", (Delegate)FileUploadHandler.HandleAsync);
        app.MapGet("/v1/files", (Delegate)ListAsync);
        app.MapGet("/v1/files/{id}", async (HttpContext ctx, string id) => JsonResults.Ok(FileObject.From(await RequireAsync(ctx, id))));
        app.MapGet("/v1/files/{id}/content", ContentAsync);
        app.MapDelete("/v1/files/{id}", DeleteAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        var q = ctx.Request.Query;
        string? purpose = q["purpose"].FirstOrDefault();
        int limit = QueryInt(q["limit"].FirstOrDefault(), "limit", 1, MaxListLimit, MaxListLimit);
        string order = q["order"].FirstOrDefault() ?? "desc";
        if (order is not ("asc" or "desc"))
        {
            throw ApiError.BadRequest($"order must be 'asc' or 'desc' (got '{order}')", "order");
        }

        string? after = q["after"].FirstOrDefault();
        // The store pages newest first without a cursor (at most 10,000 rows); tenants hold few files, so the cursor is applied here.
        var all = await state.Store.ListFilesAsync(caller.TenantId, string.IsNullOrEmpty(purpose) ? null : purpose, MaxListLimit, ctx.RequestAborted);
        IEnumerable<FileRecord> seq = order == "asc" ? all.Reverse() : all;
        if (!string.IsNullOrEmpty(after))
        {
            seq = seq.SkipWhile(f => f.Id != after).Skip(1);
        }

        var page = seq.Take(limit + 1).Select(FileObject.From).ToList();
        bool more = page.Count > limit;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        return JsonResults.Ok(new FileList("list", page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, more));
    }

    private static async Task<IResult> ContentAsync(HttpContext ctx, string id)
    {
        var file = await RequireAsync(ctx, id);
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        // Streamed from the file storage (a local file or the store's chunks), checked against the row's SHA-256 on the way.
        var content = await state.StoreHost.Contents.OpenAsync(file, ctx.RequestAborted);
        ctx.Response.Headers.ContentDisposition = ContentDispositions.Attachment(file.FileName);
        ctx.Response.ContentLength = file.Bytes;
        return Results.Stream(content, "application/octet-stream");
    }

    private static async Task<IResult> DeleteAsync(HttpContext ctx, string id)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var file = await RequireAsync(ctx, id);
        if (await state.Store.DeleteFileAsync(file.TenantId, file.Id, ctx.RequestAborted))
        {
            await state.StoreHost.Contents.DeleteAsync(file, ctx.RequestAborted);
        }

        return JsonResults.Ok(new FileDeleted(file.Id, "file", true));
    }

    /// <summary>The caller's file, or 404 (also for malformed ids and other tenants' files).</summary>
    public static async Task<FileRecord> RequireAsync(HttpContext ctx, string id)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        var file = FileIds.IsWellFormed(id) ? await state.Store.GetFileAsync(caller.TenantId, id, ctx.RequestAborted) : null;
        return file ?? throw NotFound(id);
    }

    public static ApiError NotFound(string id, string? param = null) => new(404, ErrorCodes.NotFound,
        $"No file with id '{(id.Length <= 100 ? id : id[..100] + "…")}' exists. Fix: use an id from GET /v1/files (files are visible only to their own tenant)", param);

    internal static int QueryInt(string? text, string name, int min, int max, int fallback)
    {
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            throw ApiError.BadRequest($"{name} must be an integer from {min} to {max} (got '{(text.Length <= 20 ? text : text[..20])}')", name);
        }

        return v;
    }
}
