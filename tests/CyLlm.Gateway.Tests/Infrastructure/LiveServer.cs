using System.Net.Http.Headers;
using System.Text;
using CyLlm.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>A gateway listening on 127.0.0.1 with a free port, plus an HttpClient pointed at it.</summary>
public sealed class LiveServer : IAsyncDisposable
{
    private LiveServer(GatewayApp app)
    {
        App = app;
        BaseUrl = app.BaseUrl;
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public GatewayApp App { get; }

    public string BaseUrl { get; }

    public HttpClient Http { get; }

    /// <summary>Starts a server on loopback. Without <paramref name="auth"/> it runs with auth off (every request is the
    /// default tenant with all scopes) so tests of other features need no keys; auth tests pass <c>auth: true</c>.</summary>
    public static async Task<LiveServer> StartAsync(GatewayOptions options, bool waitReady = true, bool auth = false, LogLevel logLevel = LogLevel.Warning)
    {
        var app = GatewayApp.Build(options with { Host = "127.0.0.1", Port = 0, MinimumLogLevel = logLevel, AuthDisabled = !auth });
        await app.StartAsync();
        if (waitReady)
        {
            await app.State.Model.Loading;
        }

        return new LiveServer(app);
    }

    public static Task<LiveServer> StartStoriesAsync(Func<GatewayOptions, GatewayOptions>? tweak = null)
    {
        var o = new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 2 };
        return StartAsync(tweak is null ? o : tweak(o));
    }

    public static Task<LiveServer> StartFakeAsync(FakeBackend backend, Func<GatewayOptions, GatewayOptions>? tweak = null)
    {
        var o = new GatewayOptions { BackendFactory = () => backend };
        return StartAsync(tweak is null ? o : tweak(o));
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, CancellationToken ct = default) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")), ct);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
    }
}
