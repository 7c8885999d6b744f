using System.Text.Json;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Caching;

public sealed class ResponseCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<LiveServer> Start(FakeBackend backend, bool enabled = true) =>
        LiveServer.StartFakeAsync(backend, o => o with { ResponseCacheEnabled = enabled, DataDirectory = _dir });

    private static async Task<(string Id, string Text, string? Cache)> Complete(LiveServer s, string body)
    {
        var r = await s.PostJsonAsync("/v1/completions", body);
        string text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, text);
        var root = JsonDocument.Parse(text).RootElement;
        return (root.GetProperty("id").GetString()!, root.GetProperty("choices")[0].GetProperty("text").GetString()!,
            r.Headers.TryGetValues(ResponseCaching.Header, out var v) ? v.Single() : null);
    }

    [Fact]
    public async Task A_repeated_greedy_request_is_answered_from_the_cache_with_a_new_id_also_after_a_restart()
    {
        const string body = """{"prompt":"abc","max_tokens":4,"temperature":0}""";
        var backend = new FakeBackend();
        string firstText;
        await using (var s = await Start(backend))
        {
            var first = await Complete(s, body);
            var second = await Complete(s, body);
            Assert.Equal("miss", first.Cache);
            Assert.Equal("hit", second.Cache);
            Assert.Equal(first.Text, second.Text);
            Assert.NotEqual(first.Id, second.Id);
            Assert.Equal(1, backend.Started);
            firstText = first.Text;
        }

        var again = new FakeBackend();
        await using (var s = await Start(again))
        {
            var third = await Complete(s, body);
            Assert.Equal("hit", third.Cache);
            Assert.Equal(firstText, third.Text);
            Assert.Equal(0, again.Started);
        }
    }

    [Fact]
    public async Task Sampled_requests_without_a_seed_and_different_parameters_are_not_served_from_the_cache()
    {
        var backend = new FakeBackend();
        await using var s = await Start(backend);
        await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0.8}""");
        var r = await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0.8}""");
        Assert.Null(r.Cache);
        await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0.8,"seed":5}""");
        Assert.Equal("hit", (await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0.8,"seed":5}""")).Cache);
        Assert.Equal("miss", (await Complete(s, """{"prompt":"abc","max_tokens":3,"temperature":0.8,"seed":5}""")).Cache);
        Assert.Equal(4, backend.Started);
    }

    [Fact]
    public async Task The_cache_is_off_by_default()
    {
        var backend = new FakeBackend();
        await using var s = await Start(backend, enabled: false);
        await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0}""");
        Assert.Null((await Complete(s, """{"prompt":"abc","max_tokens":4,"temperature":0}""")).Cache);
        Assert.Equal(2, backend.Started);
    }
}
