using CyLlm.Gateway;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace CyLlm.Console.Tests;

/// <summary>A gateway with authentication on, on a loopback port, with keys issued straight into its store (as
/// <c>cyllm keys create</c> does) and every log line captured so tests can check that no key was logged.</summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    private ConsoleServer(LiveServer server, CapturingLoggerProvider logs)
    {
        Server = server;
        Logs = logs;
        Keys = new ApiKeyService(server.App.State.Store, TimeProvider.System);
    }

    public LiveServer Server { get; }

    public CapturingLoggerProvider Logs { get; }

    public ApiKeyService Keys { get; }

    public string BaseUrl => Server.BaseUrl;

    /// <summary>The built-in model (models/cyllm-default.gguf): real answers, real engine status, real LoRA training.</summary>
    public static Task<ConsoleServer> StartBuiltInAsync() => StartAsync(new GatewayOptions
    {
        ModelPath = Path.Combine(RepoPaths.Root, "models", "cyllm-default.gguf"),
        Threads = 2,
        // Progress every step or so, so the loss chart gains points during a short job.
        FineTuneProgressInterval = TimeSpan.FromMilliseconds(50),
    });

    /// <summary>A scripted backend (model id "fake"): endless streams that count their cancellations.</summary>
    public static Task<ConsoleServer> StartFakeAsync(FakeBackend backend) => StartAsync(new GatewayOptions { BackendFactory = () => backend });

    private static async Task<ConsoleServer> StartAsync(GatewayOptions options)
    {
        var logs = new CapturingLoggerProvider();
        var server = await LiveServer.StartAsync(options with { ExtraLogProvider = logs }, auth: true, logLevel: LogLevel.Debug);
        return new ConsoleServer(server, logs);
    }

    /// <summary>Issues a key; "system" tenant keys with admin scope are operator keys.</summary>
    public async Task<string> KeyAsync(string tenant, params string[] scopes) =>
        (await Keys.CreateAsync(new ApiKeySpec(tenant, scopes, [], null), createTenant: true)).Secret;

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
