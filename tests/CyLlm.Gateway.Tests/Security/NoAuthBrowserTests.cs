using System.Net;
using System.Text;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>With auth off, a browser must not drive the server: requests addressed to another Host (DNS rebinding)
/// get 421, cross-origin browser requests (CSRF) get 403; plain clients on loopback are unaffected.</summary>
public sealed class NoAuthBrowserTests
{
    private const string Completion = """{"model":"fake","prompt":"hi","max_tokens":2}""";

    private static HttpRequestMessage Request(HttpMethod method, string path, string? host = null, string? origin = null, string? fetchSite = null)
    {
        var req = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            req.Content = new StringContent(Completion, Encoding.UTF8, "application/json");
        }

        if (host is not null)
        {
            req.Headers.Host = host;
        }

        if (origin is not null)
        {
            req.Headers.TryAddWithoutValidation("Origin", origin);
        }

        if (fetchSite is not null)
        {
            req.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        }

        return req;
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1.evil.example:{port}")]
    [InlineData("localhost.evil.example")]
    [InlineData("10.0.0.5:{port}")]
    public async Task A_request_addressed_to_another_host_is_refused(string host)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        host = host.Replace("{port}", new Uri(s.BaseUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/models"), (HttpMethod.Post, "/v1/completions"), (HttpMethod.Get, "/health"), (HttpMethod.Get, "/metrics") })
        {
            var e = await ErrorAssert.IsAsync(await s.Http.SendAsync(Request(method, path, host: host)), 421, "forbidden_origin");
            Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData("localhost:{port}")]
    [InlineData("LOCALHOST")]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("127.1.2.3:{port}")]
    [InlineData("[::1]:{port}")]
    public async Task Loopback_hosts_are_served(string host)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        host = host.Replace("{port}", new Uri(s.BaseUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(Request(HttpMethod.Post, "/v1/completions", host: host))).StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example", null)]
    [InlineData("null", null)]
    [InlineData("http://localhost:1", null)]
    [InlineData("http://127.0.0.1:1", null)]
    [InlineData(null, "cross-site")]
    public async Task A_cross_origin_browser_request_is_refused(string? origin, string? fetchSite)
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend);
        var e = await ErrorAssert.IsAsync(await s.Http.SendAsync(Request(HttpMethod.Post, "/v1/completions", origin: origin, fetchSite: fetchSite)), 403, "forbidden_origin");
        Assert.Equal("permission_error", e.GetProperty("type").GetString());
        Assert.Equal(0, backend.Started);
    }

    [Fact]
    public async Task The_servers_own_origin_and_plain_clients_are_served()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(Request(HttpMethod.Post, "/v1/completions", origin: s.BaseUrl, fetchSite: "same-origin"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(Request(HttpMethod.Post, "/v1/completions"))).StatusCode);
    }

    [Fact]
    public async Task With_auth_on_the_key_decides_not_the_host()
    {
        await using var s = await AuthServer.StartAsync();
        var key = await s.IssueAsync();
        var req = Request(HttpMethod.Post, "/v1/completions", host: "api.example.com", origin: "https://app.example.com");
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Secret);
        Assert.Equal(HttpStatusCode.OK, (await s.Server.Http.SendAsync(req)).StatusCode);
    }
}
