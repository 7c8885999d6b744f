using System.Collections;
using CyLlm.Gateway.Configuration;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Configuration;

/// <summary>The engine-sizing settings behind `cyllm serve --max-running/--max-batch-tokens/--kv-cache-bytes/--max-queue-tokens`:
/// typed flags reach the serving engine's options, and each bad value is one problem line naming setting and flag.</summary>
public sealed class EngineFlagsConfigurationTests
{
    private static readonly GatewayOptions Defaults = new() { BackendFactory = () => new FakeBackend() };
    private static readonly Hashtable NoEnv = new();

    private static GatewayConfigResult Load(Dictionary<string, string?> flags) => GatewayConfiguration.Load(Defaults, null, flags, NoEnv);

    [Fact]
    public void Typed_engine_flags_reach_the_serving_engine_options()
    {
        var r = Load(new()
        {
            ["Gateway:MaxRunning"] = "8",
            ["Gateway:MaxBatchTokens"] = "512",
            ["Gateway:KvCacheBytes"] = "200000",
            ["Gateway:MaxQueueTokens"] = "4096",
            ["Gateway:MaxQueue"] = "32",
            ["Gateway:ContextTokens"] = "256",
        });
        Assert.Empty(r.Errors);
        var serving = ModelHost.ServingOptionsOf(r.Options);
        Assert.Equal(8, serving.MaxRunning);
        Assert.Equal(512, serving.TokenBudget);
        Assert.Equal(200000, serving.KvCacheBytes);
        Assert.Equal(4096, serving.MaxWaitingTokens);
        Assert.Equal(32, serving.MaxWaiting);
        Assert.Equal(256, r.Options.ContextTokens);
    }

    [Theory]
    [InlineData("Gateway:MaxRunning", "0", "Gateway:MaxRunning: --max-running must be at least 1 (got 0)")]
    [InlineData("Gateway:MaxRunning", "many", "Gateway:MaxRunning (--max-running) (command line) must be a whole number (got 'many')")]
    [InlineData("Gateway:MaxBatchTokens", "-1", "Gateway:MaxBatchTokens: --max-batch-tokens must be at least 1 (got -1)")]
    [InlineData("Gateway:MaxBatchTokens", "16", "Gateway:MaxBatchTokens: --max-batch-tokens must be at least --max-running (64)")]
    [InlineData("Gateway:KvCacheBytes", "0", "Gateway:KvCacheBytes: --kv-cache-bytes must be positive (got 0)")]
    [InlineData("Gateway:KvCacheBytes", "1.5e9", "Gateway:KvCacheBytes (--kv-cache-bytes) (command line) must be a whole number (got '1.5e9')")]
    [InlineData("Gateway:MaxQueueTokens", "0", "Gateway:MaxQueueTokens: --max-queue-tokens must be at least 1 (got 0)")]
    [InlineData("Gateway:ContextTokens", "-4", "Gateway:ContextTokens: --context must be 0 (the model's) or positive (got -4)")]
    public void A_bad_engine_flag_is_one_line_naming_setting_and_flag(string key, string value, string expected)
    {
        var r = Load(new() { [key] = value });
        string line = Assert.Single(r.Errors);
        Assert.StartsWith(expected, line);
        Assert.DoesNotContain('\n', line);
    }
}
