using System.Net.Http.Headers;
using System.Text;
using CyLlm.Gateway.Audit;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>A fake-backend server with authentication on, a manual clock, and helpers to issue keys straight into its
/// store (as `cyllm keys create` does from another process) and to send requests with a key.</summary>
public sealed class AuthServer : IAsyncDisposable
{
    private AuthServer(LiveServer server, ManualTime time, LogCapture logs)
    {
        Server = server;
        Time = time;
        Logs = logs;
        Keys = new ApiKeyService(server.App.State.Store, time);
    }

    public LiveServer Server { get; }

    public ManualTime Time { get; }

    public LogCapture Logs { get; }

    /// <summary>Works on the server's store directly (like the CLI: no cache invalidation in the server).</summary>
    public ApiKeyService Keys { get; }

    public string BaseUrl => Server.BaseUrl;

    public static async Task<AuthServer> StartAsync(Func<GatewayOptions, GatewayOptions>? tweak = null)
    {
        var time = new ManualTime();
        var logs = new LogCapture();
        var o = new GatewayOptions { BackendFactory = () => new FakeBackend(), Time = time, ExtraLogProvider = logs };
        var server = await LiveServer.StartAsync(tweak is null ? o : tweak(o), auth: true, logLevel: LogLevel.Trace);
        return new AuthServer(server, time, logs);
    }

    public Task<IssuedApiKey> IssueAsync(string tenant = "default", string[]? scopes = null, string[]? models = null, DateTimeOffset? expiresAt = null) =>
        Keys.CreateAsync(new ApiKeySpec(tenant, scopes ?? [AuthScopes.Inference], models ?? [], expiresAt), createTenant: true);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, string? json = null)
    {
        var req = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (json is not null)
        {
            req.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        return Server.Http.SendAsync(req);
    }

    public Task<HttpResponseMessage> ChatAsync(string? key, string model = "fake") =>
        SendAsync(HttpMethod.Post, "/v1/chat/completions", key, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":3}""");

    /// <summary>Waits until every audit row of the requests answered so far is in the store.</summary>
    public async Task FlushAuditAsync() =>
        Assert.True(await Server.App.App.Services.GetRequiredService<AuditWriter>().FlushAsync(TimeSpan.FromSeconds(30), idle: true));

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
