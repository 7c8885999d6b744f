using System.Collections;
using CyLlm.Gateway.Configuration;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Configuration;

/// <summary>Gateway:Workers from a settings file and from CYLLM_ variables, and its validation (each problem names the
/// setting and its flag).</summary>
public sealed class WorkersConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-config-workers-").FullName;
    private static readonly GatewayOptions Defaults = new() { BackendFactory = () => new FakeBackend() };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Workers_come_from_a_file_or_the_environment()
    {
        string path = Path.Combine(_dir, "settings.json");
        File.WriteAllText(path, """{"Gateway": {"Workers": {"Urls": ["http://10.0.0.2:8081", "http://10.0.0.3:8081/"], "HeartbeatInterval": "500ms", "MissedHeartbeats": 5}}}""");
        var r = GatewayConfiguration.Load(Defaults, path, environment: new Hashtable());
        Assert.Empty(r.Errors);
        var workers = r.Options.Workers!;
        Assert.Equal(["http://10.0.0.2:8081", "http://10.0.0.3:8081"], workers.Endpoints());
        Assert.Equal(TimeSpan.FromMilliseconds(500), workers.HeartbeatInterval);
        Assert.Equal(5, workers.MissedHeartbeats);

        // One variable may hold the comma-separated list, like --workers.
        var env = new Hashtable { ["CYLLM_Gateway__Workers__Urls"] = "http://a:1, http://b:2" };
        r = GatewayConfiguration.Load(Defaults, null, environment: env);
        Assert.Empty(r.Errors);
        Assert.Equal(["http://a:1", "http://b:2"], r.Options.Workers!.Endpoints());
        Assert.Equal(3, r.Options.Workers.MissedHeartbeats);
    }

    [Fact]
    public void Bad_worker_settings_are_reported_together()
    {
        var env = new Hashtable
        {
            ["CYLLM_Gateway__Workers__Urls"] = "ftp://a:1,http://b:2,http://b:2",
            ["CYLLM_Gateway__Workers__HeartbeatInterval"] = "0",
            ["CYLLM_Gateway__Workers__MissedHeartbeats"] = "0",
        };
        var r = GatewayConfiguration.Load(Defaults with { ModelPaths = ["a.gguf", "b.gguf"] }, null, environment: env);
        Assert.Contains(r.Errors, e => e.Contains("'ftp://a:1' is not an absolute http(s) URL", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.Contains("names a worker twice", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Workers:HeartbeatInterval (--worker-heartbeat)", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Workers:MissedHeartbeats (--worker-misses)", StringComparison.Ordinal));
        Assert.Contains(r.Errors, e => e.Contains("serves one model through its workers", StringComparison.Ordinal));
    }
}
