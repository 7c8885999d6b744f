using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Status;

public sealed class StatusAndPriorityTests
{
    [Fact]
    public async Task Status_reports_the_engine_counts_and_latency_percentiles()
    {
        await using var s = await LiveServer.StartStoriesAsync();
        var chat = await s.PostJsonAsync("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}");
        Assert.True(chat.IsSuccessStatusCode, await chat.Content.ReadAsStringAsync());

        var r = await s.Http.GetAsync("/status");
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, body);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("stories260K", root.GetProperty("model").GetString());
        var engine = root.GetProperty("engine");
        Assert.Equal(0, engine.GetProperty("running").GetInt32());
        Assert.True(engine.GetProperty("total_blocks").GetInt32() > 0);
        var e2e = engine.GetProperty("end_to_end");
        Assert.True(e2e.GetProperty("p50").GetDouble() > 0, body);
        Assert.True(e2e.GetProperty("p99").GetDouble() >= e2e.GetProperty("p50").GetDouble(), body);
        Assert.True(engine.GetProperty("time_to_first_token").GetProperty("p50").GetDouble() > 0, body);
    }

    [Fact]
    public async Task Status_needs_the_serving_engine()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/status"), 404, "not_found");
    }

    [Fact]
    public async Task A_request_without_priority_leaves_it_to_the_tenant_default_and_names_its_tenant()
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend);
        var r = await s.PostJsonAsync("/v1/completions", "{\"prompt\":\"ab\",\"max_tokens\":2}");
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        Assert.Null(backend.LastRequest!.Priority);
        Assert.Equal("default", backend.LastRequest.TenantId);

        // A client may make its request less urgent than its tenant's default (0 here).
        r = await s.PostJsonAsync("/v1/completions", "{\"prompt\":\"ab\",\"max_tokens\":2,\"priority\":5}");
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        Assert.Equal(5, backend.LastRequest!.Priority);
    }
}
