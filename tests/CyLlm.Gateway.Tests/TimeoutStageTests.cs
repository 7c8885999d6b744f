using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Each deadline by stage — inference, stream_idle, total — and that the most restrictive one wins. The
/// fake backend stalls on its gate (no sleeps); the deadlines are short real timers on the HTTP path.</summary>
public sealed class TimeoutStageTests
{
    private const string Body = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":3}";
    private const string ChatStream = "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}";
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static async Task<string> TimeoutMessageAsync(Func<GatewayOptions, GatewayOptions> tweak, string body = Body)
    {
        var fake = new FakeBackend();
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, tweak);
        try
        {
            using var resp = await server.PostJsonAsync("/v1/completions", body);
            var e = await ErrorAssert.IsAsync(resp, 504, "timeout");
            Assert.Equal(1, fake.Started);
            return e.GetProperty("message").GetString()!;
        }
        finally
        {
            fake.Gate.Set();
        }
    }

    [Fact]
    public async Task Inference_timeout_is_504_naming_the_inference_stage_and_its_value()
    {
        string m = await TimeoutMessageAsync(o => o with { InferenceTimeout = Short, RequestTimeout = Long });
        Assert.Contains("(stage: inference)", m);
        Assert.Contains("0.25 s", m);
    }

    [Fact]
    public async Task The_total_timeout_wins_when_it_is_shorter_than_the_inference_timeout()
    {
        string m = await TimeoutMessageAsync(o => o with { InferenceTimeout = Long, RequestTimeout = Short });
        Assert.Contains("(stage: total)", m);
        Assert.Contains("0.25 s", m);
    }

    [Fact]
    public async Task The_inference_timeout_wins_when_it_is_shorter_than_the_total_timeout()
    {
        string m = await TimeoutMessageAsync(o => o with { InferenceTimeout = Short, RequestTimeout = TimeSpan.FromSeconds(10) });
        Assert.Contains("(stage: inference)", m);
    }

    [Fact]
    public async Task Stream_idle_timeout_ends_a_started_stream_with_an_error_event_naming_stream_idle()
    {
        var fake = new FakeBackend();
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { StreamIdleTimeout = Short, InferenceTimeout = Long, RequestTimeout = Long });
        try
        {
            using var resp = await server.PostJsonAsync("/v1/chat/completions", ChatStream);
            Assert.Equal(200, (int)resp.StatusCode);
            var payloads = Sse.Payloads(await resp.Content.ReadAsStringAsync());
            // The role chunk went out, then nothing: the idle deadline ends the stream.
            Assert.True(payloads.Count >= 2);
            var e = ErrorAssert.Parse(payloads[^1].GetRawText());
            Assert.Equal("timeout", e.GetProperty("code").GetString());
            Assert.Contains("(stage: stream_idle)", e.GetProperty("message").GetString());
            Assert.Contains("0.25 s", e.GetProperty("message").GetString());
        }
        finally
        {
            fake.Gate.Set();
        }
    }

    [Fact]
    public async Task A_stream_that_keeps_producing_tokens_is_not_idle()
    {
        // Tokens every ~2 ms for 3 s with an idle limit of 1.5 s: only because every event resets the idle deadline
        // does the total deadline end the stream (gaps of 1.5 s would be needed to flip it, even on a loaded machine).
        var fake = new FakeBackend { UntilCancelled = true };
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { StreamIdleTimeout = TimeSpan.FromSeconds(1.5), RequestTimeout = TimeSpan.FromSeconds(3) });
        using var resp = await server.PostJsonAsync("/v1/chat/completions", ChatStream.Replace("\"max_tokens\":3,", ""));
        var payloads = Sse.Payloads(await resp.Content.ReadAsStringAsync());
        var e = ErrorAssert.Parse(payloads[^1].GetRawText());
        Assert.Contains("(stage: total)", e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Timeouts_are_counted_by_stage_in_metrics()
    {
        var fake = new FakeBackend();
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { InferenceTimeout = Short, RequestTimeout = Long });
        using (var resp = await server.PostJsonAsync("/v1/completions", Body))
        {
            Assert.Equal(504, (int)resp.StatusCode);
        }

        fake.Gate.Set();
        string metrics = await server.Http.GetStringAsync("/metrics");
        Assert.Matches("cyllm_gateway_timeouts_total\\{[^}]*stage=\"inference\"[^}]*\\} [1-9]", metrics);
        _ = JsonDocument.Parse("{}");
    }
}
