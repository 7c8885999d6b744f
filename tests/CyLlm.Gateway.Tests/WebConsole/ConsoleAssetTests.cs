using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.WebConsole;

namespace CyLlm.Gateway.Tests.WebConsole;

/// <summary>
/// The web console's files as the gateway serves them (no browser): <c>/</c> without a key, the right content types,
/// the security headers that keep the key page from being framed or running injected code, ETag revalidation, 404
/// error objects for unknown files, no audit rows for page loads, and <c>--no-console</c>.
/// </summary>
public sealed class ConsoleAssetTests
{
    [Fact]
    public async Task The_page_is_served_at_the_root_without_a_key_with_strict_security_headers()
    {
        await using var s = await AuthServer.StartAsync();
        var r = await s.SendAsync(HttpMethod.Get, "/", key: null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", r.Content.Headers.ContentType?.CharSet);
        string csp = string.Join(";", r.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(ConsoleHeaders.ContentSecurityPolicy, csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("style-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("DENY", Assert.Single(r.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(r.Headers.GetValues("Referrer-Policy")));
        Assert.False(r.Headers.Contains("Set-Cookie"));
        string html = await r.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"/console/app.js\"></script>", html);
    }

    [Theory]
    [InlineData("/console/app.js", "text/javascript")]
    [InlineData("/console/api.js", "text/javascript")]
    [InlineData("/console/pages/keys.js", "text/javascript")]
    [InlineData("/console/console.css", "text/css")]
    public async Task Assets_are_served_with_their_content_type_and_nosniff(string path, string type)
    {
        await using var s = await AuthServer.StartAsync();
        var r = await s.SendAsync(HttpMethod.Get, path, key: null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
        Assert.NotNull(r.Headers.ETag);
        Assert.True(r.Headers.CacheControl?.NoCache);
        Assert.True((await r.Content.ReadAsByteArrayAsync()).Length > 100);
    }

    [Fact]
    public async Task A_matching_ETag_is_answered_with_304_and_no_body()
    {
        await using var s = await AuthServer.StartAsync();
        var first = await s.SendAsync(HttpMethod.Get, "/console/app.js", key: null);
        var etag = first.Headers.ETag!;
        var req = new HttpRequestMessage(HttpMethod.Get, "/console/app.js");
        req.Headers.IfNoneMatch.Add(etag);
        var again = await s.Server.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        var other = new HttpRequestMessage(HttpMethod.Get, "/console/app.js");
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));
        Assert.Equal(HttpStatusCode.OK, (await s.Server.Http.SendAsync(other)).StatusCode);
    }

    [Theory]
    [InlineData("/console/missing.js")]
    [InlineData("/console/")]
    [InlineData("/console/index.html")]
    public async Task Unknown_files_are_a_404_error_object_without_a_key(string path)
    {
        await using var s = await AuthServer.StartAsync();
        var r = await s.SendAsync(HttpMethod.Get, path, key: null);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var error = ErrorAssert.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Page_loads_write_no_audit_rows_but_api_calls_still_need_a_key()
    {
        await using var s = await AuthServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/", key: null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/console/app.js", key: null)).StatusCode);
        // The console's pages being public opens nothing else: the API still refuses a request without a key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.SendAsync(HttpMethod.Get, "/v1/models", key: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.SendAsync(HttpMethod.Post, "/", key: null, "{}")).StatusCode);
        await s.FlushAuditAsync();
        var rows = await s.Server.App.State.Store.ListAuditAsync("default", null, 100);
        Assert.DoesNotContain(rows, r => r.Endpoint == "/" || r.Endpoint.StartsWith("/console", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_console_off_the_root_is_an_ordinary_unknown_path()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { WebConsole = false });
        var r = await s.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        ErrorAssert.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await s.Http.GetAsync("/console/app.js")).StatusCode);
    }

    [Fact]
    public void Every_embedded_file_is_served_with_a_known_content_type()
    {
        Assert.Contains("index.html", ConsoleAssets.All.Keys);
        Assert.Contains("console.css", ConsoleAssets.All.Keys);
        foreach (var asset in ConsoleAssets.All.Values)
        {
            Assert.NotEqual("application/octet-stream", asset.ContentType);
            Assert.StartsWith("\"", asset.ETag, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_whole_console_stays_small_enough_to_load_at_once()
    {
        // No framework, no chart library: every file together is what one page load fetches, unminified.
        long total = ConsoleAssets.All.Values.Sum(a => (long)a.Content.Length);
        Assert.True(total < 200_000, $"the console's files total {total} bytes");
    }

    [Fact]
    public void The_page_has_no_inline_script_or_style_and_builds_no_markup_from_strings()
    {
        string html = Text("index.html");
        // The CSP forbids inline code; this keeps the page working under it (and axe/e2e would catch a blank page).
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"\sstyle=", html);
        Assert.DoesNotMatch(@"\son[a-z]+=", html);
        foreach (var (path, _) in ConsoleAssets.All.Where(a => a.Key.EndsWith(".js", StringComparison.Ordinal)))
        {
            string js = Text(path);
            Assert.DoesNotContain(".innerHTML", js);
            Assert.DoesNotContain(".outerHTML", js);
            Assert.DoesNotContain("insertAdjacentHTML", js);
            Assert.DoesNotContain("eval(", js);
            Assert.DoesNotContain("'style'", js);
        }
    }

    [Fact]
    public void The_key_lives_in_session_storage_and_leaves_only_as_an_authorization_header()
    {
        foreach (var (path, _) in ConsoleAssets.All.Where(a => a.Key.EndsWith(".js", StringComparison.Ordinal)))
        {
            string js = Text(path);
            // One module (api.js) touches the stored key; no other file can put it into a URL, a cookie or a log.
            if (path != "api.js")
            {
                Assert.DoesNotContain("sessionStorage.", js);
                Assert.DoesNotContain("cyllm.key", js);
                Assert.DoesNotContain(".Authorization", js);
            }

            Assert.DoesNotContain("localStorage.setItem('cyllm.key'", js);
            Assert.DoesNotContain("document.cookie", js);
            Assert.DoesNotContain("console.log", js);
        }

        string api = Text("api.js");
        Assert.Contains("sessionStorage.setItem(KEY, key)", api);
        Assert.Contains("h.Authorization = `Bearer ${key}`", api);
    }

    private static string Text(string path) => System.Text.Encoding.UTF8.GetString(ConsoleAssets.All[path].Content.Span);
}
