using System.Collections;
using CyLlm.Gateway.Configuration;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Configuration;

/// <summary>Settings layering (defaults &lt; file &lt; CYLLM_ environment &lt; typed flags) and start-up validation
/// that reports every problem at once, each naming its setting.</summary>
public sealed class GatewayConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-config-").FullName;
    private static readonly GatewayOptions Defaults = new() { BackendFactory = () => new FakeBackend() };
    private static readonly Hashtable NoEnv = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string json, string name = "settings.json")
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_settings_file_sets_plain_nested_and_per_tenant_values()
    {
        string path = File("""
            {"Gateway": {"Port": 9000, "RequestTimeout": "90s", "InferenceTimeout": "250ms", "StreamIdleTimeout": 45, "LogFormat": "text",
              "RateLimits": {"PerKey": {"RequestsPerMinute": 60}, "Tenants": {"acme": {"TokensPerMinute": 5000}}, "FailOpen": false},
              "Alerts": {"ErrorRate": 0.2}}}
            """);
        var r = GatewayConfiguration.Load(Defaults, path, environment: NoEnv);
        Assert.Empty(r.Errors);
        var o = r.Options;
        Assert.Equal(9000, o.Port);
        Assert.Equal(TimeSpan.FromSeconds(90), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.InferenceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), o.StreamIdleTimeout);
        Assert.Equal("text", o.LogFormat);
        Assert.Equal(60, o.RateLimits.PerKey.RequestsPerMinute);
        Assert.Equal(5000, o.RateLimits.Tenants["acme"].TokensPerMinute);
        Assert.False(o.RateLimits.FailOpen);
        Assert.Equal(0.2, o.Alerts.ErrorRate);
        // The shared defaults were not mutated through the nested records.
        Assert.Null(Defaults.RateLimits.PerKey.RequestsPerMinute);
        Assert.True(Defaults.RateLimits.FailOpen);
    }

    [Fact]
    public void Environment_overrides_the_file_and_typed_flags_override_both()
    {
        string path = File("""{"Gateway": {"Port": 9000, "MaxQueue": 7, "RateLimits": {"Redis": "10.0.0.1:6379"}}}""");
        var env = new Hashtable { ["CYLLM_Gateway__Port"] = "9100", ["CYLLM_Gateway__RateLimits__Redis"] = "127.0.0.1:6390", ["CYLLM_OBJ"] = "obs", ["PATH"] = "/bin" };
        var fromEnv = GatewayConfiguration.Load(Defaults, path, environment: env);
        Assert.Empty(fromEnv.Errors);
        Assert.Equal(9100, fromEnv.Options.Port);
        Assert.Equal(7, fromEnv.Options.MaxQueue);
        Assert.Equal("127.0.0.1:6390", fromEnv.Options.RateLimits.Redis);

        var flags = new Dictionary<string, string?> { ["Gateway:Port"] = "9200", ["Gateway:QueueTimeout"] = "5" };
        var fromFlags = GatewayConfiguration.Load(Defaults, path, flags, env);
        Assert.Empty(fromFlags.Errors);
        Assert.Equal(9200, fromFlags.Options.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), fromFlags.Options.QueueTimeout);
        Assert.Equal(7, fromFlags.Options.MaxQueue);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_the_setting_and_its_source()
    {
        string path = File("""
            {"Gateway": {"Port": "eighty", "RequestTimeout": "soon", "Colour": "blue", "MaxQueue": 0,
              "RateLimits": {"PerKey": {"RequestsPerMinute": -1}, "Redis": "no-port"}, "LogFormat": "xml"}}
            """);
        var env = new Hashtable { ["CYLLM_Gateway__StreamIdleTimeout"] = "-3s" };
        var r = GatewayConfiguration.Load(Defaults, path, environment: env);
        string all = string.Join("\n", r.Errors);
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Port (--port)", StringComparison.Ordinal) && e.Contains("'eighty'") && e.Contains(path));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:RequestTimeout (--request-timeout)", StringComparison.Ordinal) && e.Contains("duration"));
        Assert.Contains(r.Errors, e => e.StartsWith("Gateway:Colour", StringComparison.Ordinal) && e.Contains("not a setting"));
        Assert.Contains(r.Errors, e => e.Contains("Gateway:MaxQueue") && e.Contains("--max-queue"));
        Assert.Contains(r.Errors, e => e.Contains("Gateway:RateLimits:PerKey:RequestsPerMinute"));
        Assert.Contains(r.Errors, e => e.Contains("Gateway:RateLimits:Redis") && e.Contains("HOST:PORT"));
        Assert.Contains(r.Errors, e => e.Contains("Gateway:LogFormat"));
        Assert.Contains(r.Errors, e => e.Contains("Gateway:StreamIdleTimeout"));
        Assert.True(r.Errors.Count >= 8, all);
    }

    [Fact]
    public void Bad_json_and_a_missing_file_are_errors_not_crashes()
    {
        var bad = GatewayConfiguration.Load(Defaults, File("{\"Gateway\": {\"Port\": 1,,}"), environment: NoEnv);
        Assert.Contains(bad.Errors, e => e.Contains("not valid JSON"));
        var missing = GatewayConfiguration.Load(Defaults, Path.Combine(_dir, "nope.json"), environment: NoEnv);
        Assert.Contains(missing.Errors, e => e.Contains("does not exist"));
    }

    [Fact]
    public void Appsettings_in_the_data_folder_is_read_when_no_config_is_given()
    {
        File("""{"Gateway": {"MaxQueue": 3}}""", GatewayConfiguration.FileName);
        var r = GatewayConfiguration.Load(Defaults with { DataDirectory = _dir }, null, environment: NoEnv);
        Assert.Empty(r.Errors);
        Assert.Equal(3, r.Options.MaxQueue);
        Assert.Contains(r.Sources, s => s.Contains(GatewayConfiguration.FileName));
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("90", 90)]
    [InlineData("1.5", 1.5)]
    [InlineData("00:01:30", 90)]
    public void Durations_accept_units_seconds_and_clock_form(string text, double seconds)
    {
        Assert.True(SettingParser.TryDuration(text, out var span));
        Assert.Equal(seconds, span.TotalSeconds, 6);
    }

    [Fact]
    public async Task A_server_refuses_to_start_with_every_problem_listed()
    {
        var e = Assert.Throws<ArgumentException>(() => GatewayApp.Build(Defaults with { Port = 70000, InferenceTimeout = TimeSpan.Zero, LogFormat = "xml" }));
        Assert.Contains("--port", e.Message);
        Assert.Contains("Gateway:InferenceTimeout", e.Message);
        Assert.Contains("Gateway:LogFormat", e.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public void Tenant_default_priorities_bind_from_a_file_and_bad_values_are_named()
    {
        string path = File("""{"Gateway": {"TenantDefaultPriorities": {"batch-team": 10, "oncall": -5}}}""");
        var r = GatewayConfiguration.Load(Defaults, path, environment: NoEnv);
        Assert.Empty(r.Errors);
        Assert.Equal(10, r.Options.TenantDefaultPriorities!["batch-team"]);
        Assert.Equal(-5, r.Options.TenantDefaultPriorities["oncall"]);

        var bad = GatewayConfiguration.Load(Defaults, File("""{"Gateway": {"TenantDefaultPriorities": {"x": "high"}}}""", "bad.json"), environment: NoEnv);
        Assert.Contains(bad.Errors, e => e.StartsWith("Gateway:TenantDefaultPriorities:x", StringComparison.Ordinal) && e.Contains("'high'"));
    }

    [Theory]
    [InlineData("q8_0", true)]
    [InlineData("F32", true)]
    [InlineData("1", false)]
    [InlineData("q4", false)]
    public void Enum_settings_take_their_names_only(string value, bool ok)
    {
        var r = GatewayConfiguration.Load(Defaults, File($$$"""{"Gateway": {"KvCacheType": "{{{value}}}"}}"""), environment: NoEnv);
        Assert.Equal(ok, r.Errors.Count == 0);
        if (ok)
        {
            Assert.Equal(value.ToLowerInvariant(), r.Options.KvCacheType.ToString().ToLowerInvariant());
        }
        else
        {
            Assert.Contains(r.Errors, e => e.StartsWith("Gateway:KvCacheType", StringComparison.Ordinal) && e.Contains("q8_0"));
        }
    }
}
