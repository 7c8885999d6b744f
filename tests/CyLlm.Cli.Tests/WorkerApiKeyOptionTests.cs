using System.CommandLine;
using CyLlm.Cli.Commands;
using CyLlm.Gateway;

namespace CyLlm.Cli.Tests;

/// <summary>The router's worker API key may come from a file or the environment, so it need not show in the process
/// list (<c>ps</c> shows every user of the host the command line).</summary>
public sealed class WorkerApiKeyOptionTests : IDisposable
{
    private const string Key = "sk-cy-workerkeyworkerkeyworkerkeyworkerkeyworkerkeyworkerkeyxx";
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-workerkey-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
    public void The_key_is_read_from_a_file_without_its_trailing_newline()
    {
        string file = Path.Combine(_dir, "worker.key");
        File.WriteAllText(file, Key + "\n");
        var (roles, parse) = Parse(["--worker-api-key-file", file]);
        Assert.Equal(Key, roles.WorkerApiKey(parse));
    }

    [Fact]
    public void The_key_is_read_from_CYLLM_WORKER_API_KEY()
    {
        var (roles, parse) = Parse([], new() { [ServeRoleOptions.WorkerKeyVariable] = Key });
        Assert.Equal(Key, roles.WorkerApiKey(parse));
        var (none, noneParse) = Parse([]);
        Assert.Null(none.WorkerApiKey(noneParse));
    }

    [Fact]
    public void The_command_line_and_the_file_beat_the_environment_and_cannot_both_be_given()
    {
        string file = Path.Combine(_dir, "worker.key");
        File.WriteAllText(file, Key);
        var env = new Dictionary<string, string> { [ServeRoleOptions.WorkerKeyVariable] = "sk-cy-from-env" };
        var (roles, parse) = Parse(["--worker-api-key-file", file], env);
        Assert.Equal(Key, roles.WorkerApiKey(parse));
        (roles, parse) = Parse(["--worker-api-key", "sk-cy-inline"], env);
        Assert.Equal("sk-cy-inline", roles.WorkerApiKey(parse));
        (roles, parse) = Parse(["--worker-api-key", "sk-cy-inline", "--worker-api-key-file", file]);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => roles.WorkerApiKey(parse)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_empty_file_is_an_error_naming_the_option()
    {
        string empty = Path.Combine(_dir, "empty.key");
        File.WriteAllText(empty, "\n");
        var (roles, parse) = Parse(["--worker-api-key-file", empty]);
        Assert.Contains("--worker-api-key-file", Assert.Throws<ArgumentException>(() => roles.WorkerApiKey(parse)).Message, StringComparison.Ordinal);
        (roles, parse) = Parse(["--worker-api-key-file", Path.Combine(_dir, "missing.key")]);
        Assert.Contains("--worker-api-key-file", Assert.Throws<ArgumentException>(() => roles.WorkerApiKey(parse)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_router_sends_the_key_from_the_file()
    {
        string file = Path.Combine(_dir, "worker.key");
        File.WriteAllText(file, Key + "\n");
        var env = new Dictionary<string, string> { [ServeRoleOptions.SecretVariable] = "0123456789abcdef0123456789abcdef" };
        var (roles, parse) = Parse(
            ["--bootstrap", "127.0.0.1:7100", "--prefill-worker", "http://127.0.0.1:1", "--decode-worker", "http://127.0.0.1:2", "--worker-api-key-file", file], env);
        var options = roles.Apply(parse, new GatewayOptions { ModelPath = "unused.gguf" });
        Assert.Equal(Key, options.Disaggregation!.WorkerApiKey);
    }
}
