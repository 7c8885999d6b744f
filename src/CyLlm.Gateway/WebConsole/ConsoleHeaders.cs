using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.WebConsole;

/// <summary>
/// The security headers of the console's responses. The page takes an API key, so it must not be framed by another
/// site (clickjacking: <c>frame-ancestors 'none'</c> and X-Frame-Options), must run only its own files (no inline
/// script or style, so an injected string cannot execute), may talk only to this server (<c>connect-src 'self'</c>: a
/// key cannot be sent elsewhere), and must not leak its address (no-referrer). The key itself travels as an
/// Authorization header set by the page's script, never as a cookie, so a cross-site form cannot ride on it (CSRF).
/// </summary>
public static class ConsoleHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static void Apply(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var h = response.Headers;
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XFrameOptions = "DENY";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
