using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>GET /health/details: every check with outcome and time, model, engine and store status.</summary>
public sealed class HealthDetailsTests
{
    [Fact]
    public async Task A_healthy_server_reports_every_check_passed_and_the_model_ready()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var d = await DurableApi.GetJsonAsync(s.Http, "/health/details");
        Assert.Equal("ok", d.GetProperty("status").GetString());
        Assert.True(d.GetProperty("healthy").GetBoolean());
        var names = d.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["database_opens", "wal_mode", "busy_timeout", "schema_version", "required_tables", "free_disk", "model_files"], names);
        Assert.All(d.GetProperty("checks").EnumerateArray(), c =>
        {
            Assert.Equal("passed", c.GetProperty("outcome").GetString());
            Assert.True(c.GetProperty("duration_ms").GetDouble() >= 0);
        });
        Assert.Equal(7, d.GetProperty("passed").GetInt32());
        Assert.Equal("ready", d.GetProperty("model").GetProperty("state").GetString());
        Assert.Equal("fake", d.GetProperty("model").GetProperty("id").GetString());
        Assert.Equal("sqlite", d.GetProperty("store").GetProperty("provider").GetString());
        Assert.Equal(64, d.GetProperty("engine").GetProperty("queue_capacity").GetInt32());
    }

    [Fact]
    public async Task A_failing_check_turns_the_answer_into_503_with_the_reason()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { MinFreeDiskBytes = long.MaxValue / 2 });
        using var res = await s.Http.GetAsync("/health/details");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, res.StatusCode);
        var d = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("failing", d.GetProperty("status").GetString());
        var disk = d.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "free_disk");
        Assert.Equal("failed", disk.GetProperty("outcome").GetString());
        Assert.Contains("MiB free", disk.GetProperty("message").GetString());
        // Not fail-fast: the checks after the failed one still ran.
        Assert.Equal("passed", d.GetProperty("checks").EnumerateArray().Last().GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task The_served_model_files_hash_is_recorded_and_reported()
    {
        await using var s = await LiveServer.StartStoriesAsync();
        var d = await DurableApi.GetJsonAsync(s.Http, "/health/details");
        var files = d.GetProperty("model").GetProperty("files");
        Assert.Equal(1, files.GetArrayLength());
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(RepoPaths.StoriesModel)));
        Assert.Equal(expected, files[0].GetProperty("sha256").GetString());
        Assert.True(File.Exists(Path.Combine(s.App.State.StoreHost.DataDirectory, "model-files.json")));
    }
}
