using System.Globalization;
using CyLlm.Gateway.Audit;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>
/// Keys, tenants and audit rows over HTTP (admin scope). An admin key manages its own tenant; admin keys of the
/// operator tenant (<see cref="Caller.OperatorTenant"/>) may name any tenant with <c>tenant</c> (body or query).
/// Another tenant's key ids answer 404, exactly like ids that do not exist.
/// </summary>
public static class AdminRoutes
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin").WithMetadata(new RequiredScope(AuthScopes.Admin));
        admin.MapPost("/keys", (Delegate)CreateKeyAsync);
        admin.MapGet("/keys", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            string tenant = Target(caller, ctx.Request.Query["tenant"]);
            var now = Time(ctx).GetUtcNow();
            var keys = await Keys(ctx).ListAsync(tenant, ctx.RequestAborted);
            return JsonResults.Ok(ObjectList<ApiKeyObject>.Of(keys.Select(k => ApiKeyObject.From(k, now)).ToList()));
        });
        admin.MapPost("/keys/{id}/revoke", async (HttpContext ctx, string id) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            string tenant = Target(caller, ctx.Request.Query["tenant"]);
            var key = await Run(() => Keys(ctx).RevokeAsync(tenant, id, ctx.RequestAborted));
            Authenticator(ctx).Invalidate();
            return JsonResults.Ok(ApiKeyObject.From(key, Time(ctx).GetUtcNow()));
        });
        admin.MapPost("/keys/{id}/rotate", async (HttpContext ctx, string id) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = ctx.Request.ContentLength is 0 || (ctx.Request.ContentLength is null && !ctx.Request.Headers.ContainsKey("Transfer-Encoding"))
                ? new RotateKeyRequest()
                : await RequestReader.ReadAsync<RotateKeyRequest>(ctx, state.Options.MaxBodyBytes);
            NoExtra(req.Extra);
            string tenant = Target(caller, ctx.Request.Query["tenant"]);
            var grace = ParseGrace(req.Grace);
            // Rotation hands out a secret with the old key's rights: only for keys within the caller's own.
            var issued = await Run(() => Keys(ctx).RotateAsync(tenant, id, grace, ctx.RequestAborted, old => KeyGrantPolicy.RequireWithin(caller, old)));
            Authenticator(ctx).Invalidate();
            return JsonResults.Ok(ApiKeyObject.From(issued.Record, Time(ctx).GetUtcNow(), issued.Secret));
        });
        admin.MapPost("/tenants", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var req = await RequestReader.ReadAsync<TenantRequest>(ctx, state.Options.MaxBodyBytes);
            NoExtra(req.Extra);
            if (!caller.IsOperator)
            {
                throw new ApiError(403, ErrorCodes.InsufficientScope,
                    $"Only admin keys of the operator tenant '{Caller.OperatorTenant}' may create or change tenants. Fix: use an operator key (cyllm keys create --tenant {Caller.OperatorTenant} --scope admin)");
            }

            if (!TenantIds.IsValid(req.Id))
            {
                throw ApiError.BadRequest("id must be 1-64 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit", "id");
            }

            var t = await Run(() => Keys(ctx).UpsertTenantAsync(req.Id!, req.Name, req.Disabled ?? false, ctx.RequestAborted));
            Authenticator(ctx).Invalidate();
            return JsonResults.Ok(TenantObject.From(t));
        });
        admin.MapGet("/tenants", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            var store = ctx.RequestServices.GetRequiredService<GatewayState>().Store;
            IReadOnlyList<Jobs.Storage.TenantRecord> tenants = caller.IsOperator
                ? await store.ListTenantsAsync(ctx.RequestAborted)
                : await store.GetTenantAsync(caller.TenantId, ctx.RequestAborted) is { } own ? [own] : [];
            return JsonResults.Ok(ObjectList<TenantObject>.Of(tenants.Select(TenantObject.From).ToList()));
        });
        admin.MapGet("/audit", async (HttpContext ctx) =>
        {
            var caller = ctx.RequireScope(AuthScopes.Admin);
            string tenant = Target(caller, ctx.Request.Query["tenant"]);
            var q = ctx.Request.Query;
            int limit = q["limit"].Count == 0 ? 100
                : int.TryParse(q["limit"][0], NumberStyles.None, CultureInfo.InvariantCulture, out int l) && l is >= 1 and <= 10_000 ? l
                : throw ApiError.BadRequest("limit must be an integer between 1 and 10000", "limit");
            DateTimeOffset? since = q["since"].Count == 0 ? null
                : long.TryParse(q["since"][0], NumberStyles.None, CultureInfo.InvariantCulture, out long s) && s <= 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(s)
                : throw ApiError.BadRequest("since must be a Unix time in seconds", "since");
            // Read-your-writes for the operator: rows queued before this request reach the store first (bounded wait).
            await ctx.RequestServices.GetRequiredService<AuditWriter>().FlushAsync(TimeSpan.FromSeconds(2));
            var rows = await ctx.RequestServices.GetRequiredService<GatewayState>().Store.ListAuditAsync(tenant, since, limit, ctx.RequestAborted);
            return JsonResults.Ok(ObjectList<AuditEntryObject>.Of(rows.Select(AuditEntryObject.From).ToList()));
        });
        return app;
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext ctx)
    {
        var caller = ctx.RequireScope(AuthScopes.Admin);
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var req = await RequestReader.ReadAsync<CreateKeyRequest>(ctx, state.Options.MaxBodyBytes);
        NoExtra(req.Extra);
        string tenant = Target(caller, req.Tenant ?? (string?)ctx.Request.Query["tenant"]);
        var now = state.Time.GetUtcNow();
        DateTimeOffset? expires = (req.ExpiresIn, req.ExpiresAt) switch
        {
            (not null, not null) => throw ApiError.BadRequest("give expires_in or expires_at, not both", "expires_in"),
            (string d, null) => DurationText.TryParse(d, out var span) ? now + span
                : throw ApiError.BadRequest("expires_in must be a positive number with a unit s, m, h, d or w (e.g. \"30d\")", "expires_in"),
            (null, long at) => at is > 0 and <= 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(at)
                : throw ApiError.BadRequest("expires_at must be a Unix time in seconds", "expires_at"),
            _ => null,
        };
        string? name;
        try
        {
            name = ApiKeyService.CheckName(req.Name);
        }
        catch (ArgumentException e)
        {
            throw ApiError.BadRequest($"name is invalid: {e.Message}", "name");
        }

        bool wellKnown = tenant is Caller.DefaultTenant or Caller.OperatorTenant;
        IReadOnlyList<string> scopes = req.Scopes ?? [AuthScopes.Inference];
        var (models, bounded) = KeyGrantPolicy.Bound(caller, scopes, req.Models, expires, req.ExpiresAt is null ? "expires_in" : "expires_at");
        var issued = await Run(() => Keys(ctx).CreateAsync(new ApiKeySpec(tenant, scopes, models, bounded, name), wellKnown, ctx.RequestAborted));
        return JsonResults.Status(ApiKeyObject.From(issued.Record, now, issued.Secret), StatusCodes.Status201Created);
    }

    /// <summary>The tenant an admin request acts on: its own, or any for operator callers.</summary>
    private static string Target(Caller caller, string? requested)
    {
        if (string.IsNullOrEmpty(requested) || requested == caller.TenantId)
        {
            return caller.TenantId;
        }

        if (!caller.IsOperator)
        {
            throw new ApiError(403, ErrorCodes.InsufficientScope,
                $"This admin key manages tenant '{caller.TenantId}' only. Fix: omit 'tenant', or use an admin key of the operator tenant '{Caller.OperatorTenant}'", "tenant");
        }

        return TenantIds.IsValid(requested) ? requested : throw ApiError.BadRequest($"tenant '{requested}' is not a valid tenant id", "tenant");
    }

    private static TimeSpan ParseGrace(string? text) =>
        text is null ? ApiKeyService.DefaultGrace
        : text == "0" ? TimeSpan.Zero
        : DurationText.TryParse(text, out var g) && g <= ApiKeyService.MaxGrace ? g
        : throw ApiError.BadRequest($"grace must be \"0\" or a duration up to {ApiKeyService.MaxGrace.TotalDays:0}d such as \"24h\"", "grace");

    /// <summary>Maps the key service's errors to API errors.</summary>
    private static async Task<T> Run<T>(Func<Task<T>> op)
    {
        try
        {
            return await op();
        }
        catch (AuthAdminException e)
        {
            throw new ApiError(e.Status, e.Status == 404 ? ErrorCodes.NotFound : ErrorCodes.InvalidRequest, FixSentence(e.Message));
        }
        catch (ArgumentException e)
        {
            throw new ApiError(400, ErrorCodes.InvalidRequest, FixSentence(e.Message));
        }
    }

    private static string FixSentence(string message)
    {
        int semi = message.IndexOf("; ", StringComparison.Ordinal);
        string m = semi < 0 ? message + ". Fix: correct the request and retry" : message[..semi] + ". Fix: " + message[(semi + 2)..];
        return char.ToUpperInvariant(m[0]) + m[1..];
    }

    private static void NoExtra(Dictionary<string, System.Text.Json.JsonElement>? extra)
    {
        if (extra is { Count: > 0 })
        {
            throw ApiError.Unsupported(extra.Keys.First());
        }
    }

    private static ApiKeyService Keys(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ApiKeyService>();

    private static ApiKeyAuthenticator Authenticator(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ApiKeyAuthenticator>();

    private static TimeProvider Time(HttpContext ctx) => ctx.RequestServices.GetRequiredService<GatewayState>().Time;
}
