using System.CommandLine;
using CyLlm.Cli.Commands;
using CyLlm.Gateway;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm serve --workers`: the typed flags over the configured Gateway:Workers, the worker key from the
/// usual sources, and one-line errors naming the flag.</summary>
public sealed class WorkersOptionTests
{
    private static (ServeRoleOptions Roles, ParseResult Parse) Parse(string[] args, Dictionary<string, string>? env = null)
    {
        var roles = new ServeRoleOptions(name => env is not null && env.TryGetValue(name, out var v) ? v : null);
        var cmd = new Command("serve");
        roles.AddTo(cmd);
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return (roles, parse);
    }

    [Fact]
    public void Typed_flags_set_the_workers_and_the_key_comes_from_the_environment()
    {
        var (roles, parse) = Parse(["--workers", "http://a:1,http://b:2", "--workers", "http://c:3", "--worker-heartbeat", "0.25", "--worker-misses", "2"],
            new() { [ServeRoleOptions.WorkerKeyVariable] = "sk-cy-worker" });
        var options = roles.Apply(parse, new GatewayOptions());
        var workers = options.Workers!;
        Assert.Equal(["http://a:1", "http://b:2", "http://c:3"], workers.Endpoints());
        Assert.Equal(TimeSpan.FromMilliseconds(250), workers.HeartbeatInterval);
        Assert.Equal(2, workers.MissedHeartbeats);
        Assert.Equal("sk-cy-worker", workers.ApiKey);
        Assert.Null(options.Disaggregation); // plain serving otherwise: no router, no role
    }

    [Fact]
    public void Configured_workers_stay_unless_typed_and_nothing_configured_means_local_serving()
    {
        var configured = new GatewayOptions { Workers = new() { Urls = ["http://x:1"], MissedHeartbeats = 4 } };
        var (roles, parse) = Parse(["--worker-heartbeat", "2"]);
        var workers = roles.Apply(parse, configured).Workers!;
        Assert.Equal(["http://x:1"], workers.Endpoints());
        Assert.Equal(TimeSpan.FromSeconds(2), workers.HeartbeatInterval);
        Assert.Equal(4, workers.MissedHeartbeats);

        (roles, parse) = Parse([]);
        Assert.Null(roles.Apply(parse, new GatewayOptions()).Workers);
    }

    [Fact]
    public void Bad_values_are_one_line_errors_naming_the_flag()
    {
        var (roles, parse) = Parse(["--workers", "http://a:1", "--worker-heartbeat", "0"]);
        Assert.Contains("--worker-heartbeat", Assert.Throws<ArgumentException>(() => roles.Apply(parse, new GatewayOptions())).Message, StringComparison.Ordinal);
        (roles, parse) = Parse(["--workers", "a:1"]);
        Assert.Contains("--workers", Assert.Throws<ArgumentException>(() => roles.Apply(parse, new GatewayOptions())).Message, StringComparison.Ordinal);
    }
}
