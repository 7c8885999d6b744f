using CyLlm.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// With authentication off (<c>--no-auth</c>, loopback only) the loopback bind is the only protection, and a browser on
/// the same machine can cross it: a page the user visits may POST to <c>http://127.0.0.1:8080</c> (CSRF), or point
/// its own DNS name at 127.0.0.1 and read the answers (DNS rebinding). So every request must name this server as its
/// Host (a loopback name or address, or the configured <c>--host</c>; otherwise 421), and a browser request must come
/// from this server's own origin (an <c>Origin</c> other than this server's, including <c>null</c>, or
/// <c>Sec-Fetch-Site: cross-site</c>, gets 403). Clients that are not browsers send neither header and are unaffected.
/// </summary>
public static class NoAuthRequestGuard
{
    public static void Check(HttpContext ctx, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(options);
        var host = ctx.Request.Host;
        // A missing Host (HTTP/1.0 tools) cannot come from a browser, which always names the host it resolved.
        if (host.HasValue && !GatewayOptions.IsLoopbackHost(host.Host) && !host.Host.Equals(options.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiError(421, ErrorCodes.ForbiddenOrigin,
                "Misdirected request: with authentication off this server answers only requests addressed to a loopback name (localhost, 127.0.0.1, [::1]) or its configured host. Fix: send the request to http://127.0.0.1:<port> or http://localhost:<port>, or run the server with API keys");
        }

        string? origin = ctx.Request.Headers.Origin;
        if (origin is not null && !IsOwnOrigin(ctx.Request, origin))
        {
            throw CrossOrigin();
        }

        if (string.Equals(ctx.Request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            throw CrossOrigin();
        }
    }

    /// <summary>Whether <paramref name="origin"/> is scheme, host and port of the request's own address.</summary>
    private static bool IsOwnOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var o)
        && Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var own)
        && o.Scheme == own.Scheme
        && o.Host.Equals(own.Host, StringComparison.OrdinalIgnoreCase)
        && o.Port == own.Port
        && o.AbsolutePath == "/";

    private static ApiError CrossOrigin() => new(403, ErrorCodes.ForbiddenOrigin,
        "Cross-origin browser requests are refused while authentication is off: another web page must not drive this server. Fix: call the API from a non-browser client or from this server's own origin, or run the server with API keys");
}
