using System.Diagnostics;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>The single worker's queue, its timeouts, keep-alives and client disconnects, with a controllable
/// fake backend (no sleeps: tests wait on the backend's signals).</summary>
public sealed class QueueAndTimeoutTests
{
    private const string Body = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":3}";
    private const string StreamBody = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":3,\"stream\":true}";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Full_queue_answers_503_server_overloaded_at_once()
    {
        // The backend's own queue bound (what --max-queue sets on an engine the server loads).
        var fake = new FakeBackend { MaxWaiting = 1 };
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake);
        var running = server.PostJsonAsync("/v1/completions", Body);
        Assert.True(await fake.StartedSignal.WaitAsync(Wait));
        var queued = server.PostJsonAsync("/v1/completions", Body);
        await WaitUntilAsync(() => server.App.State.Model.Backend!.Waiting == 1);

        var sw = Stopwatch.StartNew();
        using var rejected = await server.PostJsonAsync("/v1/completions", Body);
        sw.Stop();
        await ErrorAssert.IsAsync(rejected, 503, "server_overloaded");
        Assert.True(sw.ElapsedMilliseconds < 2000, $"503 took {sw.ElapsedMilliseconds} ms");
        Assert.NotNull(rejected.Headers.RetryAfter);

        fake.Gate.Set();
        using var r1 = await running;
        using var r2 = await queued;
        Assert.Equal(200, (int)r1.StatusCode);
        Assert.Equal(200, (int)r2.StatusCode);
    }

    [Fact]
    public async Task Queue_wait_past_the_limit_is_504_timeout_naming_the_queue_stage()
    {
        var fake = new FakeBackend();
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { QueueTimeout = TimeSpan.FromMilliseconds(300) });
        var running = server.PostJsonAsync("/v1/completions", Body);
        Assert.True(await fake.StartedSignal.WaitAsync(Wait));
        using var late = await server.PostJsonAsync("/v1/completions", Body);
        var e = await ErrorAssert.IsAsync(late, 504, "timeout");
        Assert.Contains("queue", e.GetProperty("message").GetString());
        Assert.Contains("0.3 s", e.GetProperty("message").GetString());
        fake.Gate.Set();
        using var r = await running;
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal(1, fake.Started);
    }

    [Fact]
    public async Task Total_timeout_cancels_generation_and_is_504_naming_the_total_stage()
    {
        var fake = new FakeBackend { UntilCancelled = true };
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(400) });
        using var resp = await server.PostJsonAsync("/v1/completions", Body);
        var e = await ErrorAssert.IsAsync(resp, 504, "timeout");
        Assert.Contains("total", e.GetProperty("message").GetString());
        Assert.Equal(1, fake.Cancelled);
    }

    [Fact]
    public async Task Total_timeout_during_a_stream_ends_it_with_an_error_event()
    {
        var fake = new FakeBackend { UntilCancelled = true };
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(400) });
        using var resp = await server.PostJsonAsync("/v1/completions", StreamBody);
        Assert.Equal(200, (int)resp.StatusCode);
        var payloads = Sse.Payloads(await resp.Content.ReadAsStringAsync());
        Assert.True(payloads.Count > 1);
        var last = payloads[^1].GetRawText();
        var e = ErrorAssert.Parse(last);
        Assert.Equal("timeout", e.GetProperty("code").GetString());
        Assert.Contains("total", e.GetProperty("message").GetString());
        Assert.Equal(1, fake.Cancelled);
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_stream_and_the_next_request_is_served_promptly()
    {
        var fake = new FakeBackend { UntilCancelled = true };
        await using var server = await LiveServer.StartFakeAsync(fake);
        using (var cts = new CancellationTokenSource())
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(StreamBody, System.Text.Encoding.UTF8, "application/json") };
            using var resp = await server.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var stream = await resp.Content.ReadAsStreamAsync(cts.Token);
            var reader = new StreamReader(stream);
            string? first = await reader.ReadLineAsync(cts.Token);
            Assert.StartsWith("data: ", first);
            cts.Cancel();
        }

        Assert.True(await fake.CancelledSignal.WaitAsync(Wait), "generation was not cancelled after the client left");
        fake.UntilCancelled = false;
        var sw = Stopwatch.StartNew();
        using var next = await server.PostJsonAsync("/v1/completions", Body);
        Assert.Equal(200, (int)next.StatusCode);
        Assert.True(sw.ElapsedMilliseconds < 3000, $"next request took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Streams_waiting_in_the_queue_get_keep_alive_comments_then_their_data()
    {
        var fake = new FakeBackend();
        fake.Gate.Reset();
        await using var server = await LiveServer.StartFakeAsync(fake, o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(50) });
        var blocker = server.PostJsonAsync("/v1/completions", Body);
        Assert.True(await fake.StartedSignal.WaitAsync(Wait));
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}", System.Text.Encoding.UTF8, "application/json"),
        };
        using var resp = await server.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        Assert.Equal(": keep-alive", await reader.ReadLineAsync());
        Assert.Equal("", await reader.ReadLineAsync());
        fake.Gate.Set();
        string rest = await reader.ReadToEndAsync();
        var payloads = Sse.Payloads(rest);
        Assert.Equal("assistant", payloads[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("xxx", string.Concat(payloads.Select(p => p.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "")));
        Assert.Equal("length", payloads[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.EndsWith("data: [DONE]\n\n", rest);
        using var b = await blocker;
    }

    [Fact]
    public async Task Health_is_503_while_loading_then_200()
    {
        using var gate = new ManualResetEventSlim(false);
        var fake = new FakeBackend();
        await using var server = await LiveServer.StartAsync(new GatewayOptions
        {
            BackendFactory = () =>
            {
                gate.Wait();
                return fake;
            },
        }, waitReady: false);
        using (var loading = await server.Http.GetAsync("/health"))
        {
            Assert.Equal(503, (int)loading.StatusCode);
        }

        using (var early = await server.PostJsonAsync("/v1/completions", Body))
        {
            await ErrorAssert.IsAsync(early, 503, "server_overloaded");
        }

        gate.Set();
        await server.App.State.Model.Loading;
        using var ready = await server.Http.GetAsync("/health");
        Assert.Equal(200, (int)ready.StatusCode);
    }

    [Fact]
    public async Task Unhandled_backend_exception_is_500_server_error_with_a_trace_id_and_no_stack()
    {
        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => new ThrowingBackend() });
        using var resp = await server.PostJsonAsync("/v1/completions", Body);
        var e = await ErrorAssert.IsAsync(resp, 500, "server_error");
        string msg = e.GetProperty("message").GetString()!;
        Assert.Contains("trace id", msg);
        Assert.DoesNotContain("secret internals", msg);
        Assert.DoesNotContain("ThrowingBackend", JsonSerializer.Serialize(e));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < Wait, "condition not reached");
            await Task.Yield();
        }
    }
}
