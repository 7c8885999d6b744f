namespace CyLlm.Cli.Tests;

/// <summary>`cyllm serve --role ...` (disaggregated serving, issue 7): inconsistent role settings stop the start with one line.</summary>
public sealed class ServeRoleTests
{
    [Theory]
    [InlineData("--role sideways", "not one of prefill, decode, both")]
    [InlineData("--role decode", "needs --bootstrap")]
    [InlineData("--role prefill --bootstrap nohost", "host:port")]
    [InlineData("--prefill-worker http://127.0.0.1:1", "both --prefill-worker and --decode-worker")]
    [InlineData("--role prefill --bootstrap 127.0.0.1:7100 --kv-port 70000", "--kv-port 70000")]
    [InlineData("--role decode --bootstrap 127.0.0.1:7100 --decode-worker http://127.0.0.1:1", "for the router")]
    [InlineData("--role decode --bootstrap 127.0.0.1:7100 --kv-secret-file /nonexistent/kv.secret", "--kv-secret-file /nonexistent/kv.secret")]
    [InlineData("--role decode --bootstrap redis", "--bootstrap redis needs --redis")]
    [InlineData("--role prefill --bootstrap redis://127.0.0.1:6390/x", "--bootstrap: the path of a Redis URL is the database number")]
    public void Inconsistent_role_settings_are_one_error_line(string flags, string fragment)
    {
        var r = CliProcess.Run(["serve", "--model", CliProcess.Shared("stories260K.gguf"), .. flags.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(fragment, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_shared_secret_shorter_than_16_bytes_is_refused_in_one_line()
    {
        string file = Path.Combine(Path.GetTempPath(), $"cyllm-kv-{Guid.NewGuid():N}.secret");
        File.WriteAllText(file, "short\n");
        try
        {
            var r = CliProcess.Run(["serve", "--model", CliProcess.Shared("stories260K.gguf"), "--role", "decode", "--bootstrap", "127.0.0.1:7100", "--kv-secret-file", file]);
            Assert.Equal(2, r.ExitCode);
            var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains("at least 16", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--max-running 0", "Gateway:MaxRunning: --max-running must be at least 1 (got 0)")]
    [InlineData("--max-batch-tokens lots", "Gateway:MaxBatchTokens (--max-batch-tokens) (command line) must be a whole number (got 'lots')")]
    [InlineData("--max-running 8 --max-batch-tokens 4", "Gateway:MaxBatchTokens: --max-batch-tokens must be at least --max-running (8)")]
    [InlineData("--kv-cache-bytes -1", "Gateway:KvCacheBytes: --kv-cache-bytes must be positive (got -1)")]
    [InlineData("--fine-tune-lease 0", "Gateway:FineTuneLeaseDuration: --fine-tune-lease must be 1 to 86400 seconds (got 0)")]
    [InlineData("--fine-tune-lease 100000", "Gateway:FineTuneLeaseDuration: --fine-tune-lease must be 1 to 86400 seconds (got 100000)")]
    [InlineData("--max-model-len -2", "Gateway:ContextTokens: --context must be 0 (the model's) or positive (got -2)")]
    public void Bad_engine_sizing_flags_stop_the_start_naming_the_flag(string flags, string expected)
    {
        var r = CliProcess.Run(["serve", "--model", CliProcess.Shared("stories260K.gguf"), .. flags.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        // A header line, then exactly one problem line: the flag and what is wrong with its value.
        var problems = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        Assert.StartsWith(expected, Assert.Single(problems).Trim());
    }
}
