using System.Text.Json;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm bench --concurrency` through the serving engine: KV type selection and window percentiles.</summary>
public sealed class BenchServingCommandTests
{
    [Fact]
    public void Concurrent_bench_with_a_q8_0_kv_cache_prints_percentiles()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "--model", CliProcess.Shared("stories260K.gguf"), "-p", "16", "-n", "6", "-t", "2", "--concurrency", "3", "--kv-type", "q8_0");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("q8_0", root.GetProperty("kv_type").GetString());
        Assert.True(root.GetProperty("aggregate_generation_tokens_per_second").GetDouble() > 0);
        foreach (var key in new[] { "queue_ms", "ttft_ms", "itl_ms", "e2e_ms" })
        {
            var p = root.GetProperty(key);
            double p50 = p.GetProperty("p50").GetDouble(), p95 = p.GetProperty("p95").GetDouble(), p99 = p.GetProperty("p99").GetDouble();
            Assert.True(p50 <= p95 && p95 <= p99, key);
        }

        Assert.True(root.GetProperty("e2e_ms").GetProperty("p50").GetDouble() > 0);
    }

    [Fact]
    public void An_unknown_kv_type_is_one_line_of_error()
    {
        var (code, stdout, stderr) = CliProcess.Run("bench", "--model", CliProcess.Shared("stories260K.gguf"), "-p", "16", "-n", "4", "--concurrency", "2", "--kv-type", "q4_k");
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains("--kv-type must be f16, f32 or q8_0", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
