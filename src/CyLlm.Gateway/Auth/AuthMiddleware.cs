using CyLlm.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Authenticates every non-public request: the key from <c>Authorization: Bearer &lt;key&gt;</c> (or Azure's
/// <c>api-key</c> header) becomes the request's <see cref="Caller"/>; missing, unknown, expired, revoked or
/// past-grace keys and keys of disabled tenants get 401 <c>invalid_api_key</c>, a key without the route's scope 403
/// <c>insufficient_scope</c>. With auth off (loopback only) every request is <see cref="Caller.Anonymous"/>.
/// The key itself is never logged or stored: only its hash is looked up and only its prefix is kept.
/// </summary>
public sealed class AuthMiddleware(RequestDelegate next, GatewayState state, ApiKeyAuthenticator authenticator)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (state.Options.AuthDisabled)
        {
            // Before the public routes too: a rebinding page must not read even those.
            NoAuthRequestGuard.Check(ctx, state.Options);
        }

        if (AuthPolicy.IsPublic(ctx, state.Options))
        {
            await next(ctx);
            return;
        }

        if (state.Options.AuthDisabled)
        {
            ctx.SetCaller(Caller.Anonymous);
            await next(ctx);
            return;
        }

        string presented = ReadKey(ctx.Request) ?? throw ApiKeyAuthenticator.Missing();
        var caller = await authenticator.AuthenticateAsync(presented, k => RejectedKey.Set(ctx, k.Prefix, k.TenantId), ctx.RequestAborted);
        ctx.SetCaller(caller);
        if (ctx.GetEndpoint()?.Metadata.GetMetadata<AnyKeyScope>() is null)
        {
            ctx.RequireScope(AuthPolicy.ScopeFor(ctx));
        }

        if (AuthPolicy.IsOperatorOnly(ctx) && !caller.IsOperator)
        {
            throw new Errors.ApiError(403, Errors.ErrorCodes.InsufficientScope,
                "/metrics covers every tenant: only keys of the operator tenant ('system') may read it. Fix: scrape with an operator key created by cyllm keys create --tenant system --scope metrics");
        }

        await next(ctx);
    }

    /// <summary>The presented key, or null when none was sent.</summary>
    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.Authorization is { Count: > 0 } auth)
        {
            string value = auth[0] ?? "";
            if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                throw new Errors.ApiError(401, Errors.ErrorCodes.InvalidApiKey,
                    "The Authorization header must use the Bearer scheme. Fix: send 'Authorization: Bearer sk-cy-…'");
            }

            string key = value["Bearer ".Length..].Trim();
            return key.Length == 0 ? null : key;
        }

        return request.Headers.TryGetValue("api-key", out StringValues azure) && azure.Count > 0 && !string.IsNullOrWhiteSpace(azure[0]) ? azure[0]!.Trim() : null;
    }
}
