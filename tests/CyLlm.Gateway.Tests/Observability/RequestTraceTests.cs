using System.Diagnostics;
using System.Text.RegularExpressions;
using CyLlm.Engine.Diagnostics;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Observability;

/// <summary>X-Request-Id echo/generation, W3C traceparent in and out, ids in 500 messages, engine spans.</summary>
public sealed partial class RequestTraceTests
{
    private const string Body = "{\"model\":\"fake\",\"prompt\":\"hi\",\"max_tokens\":2}";

    [GeneratedRegex("^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$")]
    private static partial Regex TraceParent();

    [Fact]
    public async Task A_client_request_id_is_echoed_and_a_missing_one_is_generated()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend());
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        req.Headers.Add("X-Request-Id", "client-abc_123");
        using var echoed = await server.Http.SendAsync(req);
        Assert.Equal("client-abc_123", echoed.Headers.GetValues("X-Request-Id").Single());

        using var generated = await server.Http.GetAsync("/v1/models");
        Assert.StartsWith("req_", generated.Headers.GetValues("X-Request-Id").Single());

        // Unsafe ids (header/log injection) are replaced, not echoed.
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        bad.Headers.TryAddWithoutValidation("X-Request-Id", "a b<script>");
        using var replaced = await server.Http.SendAsync(bad);
        Assert.StartsWith("req_", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task An_incoming_traceparent_continues_its_trace_and_the_response_carries_the_server_span()
    {
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend());
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, System.Text.Encoding.UTF8, "application/json") };
        req.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        using var resp = await server.Http.SendAsync(req);
        Assert.Equal(200, (int)resp.StatusCode);
        var m = TraceParent().Match(resp.Headers.GetValues("traceparent").Single());
        Assert.True(m.Success);
        Assert.Equal(traceId, m.Groups[1].Value);
        Assert.NotEqual("00f067aa0ba902b7", m.Groups[2].Value);

        // Without one, a fresh trace is started and still reported.
        using var fresh = await server.PostJsonAsync("/v1/completions", Body);
        var f = TraceParent().Match(fresh.Headers.GetValues("traceparent").Single());
        Assert.True(f.Success);
        Assert.NotEqual(traceId, f.Groups[1].Value);
    }

    [Fact]
    public async Task A_500_names_the_trace_id_and_the_request_id_and_errors_keep_the_headers()
    {
        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => new ThrowingBackend() });
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, System.Text.Encoding.UTF8, "application/json") };
        req.Headers.Add("X-Request-Id", "rid-500");
        using var resp = await server.Http.SendAsync(req);
        var e = await ErrorAssert.IsAsync(resp, 500, "server_error");
        string message = e.GetProperty("message").GetString()!;
        Assert.Contains("request id rid-500", message);
        string traceId = TraceParent().Match(resp.Headers.GetValues("traceparent").Single()).Groups[1].Value;
        Assert.Contains("trace id " + traceId, message);
        Assert.Equal("rid-500", resp.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Engine_spans_for_queue_prefill_and_decode_hang_under_the_request_trace()
    {
        var spans = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EngineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await LiveServer.StartFakeAsync(new FakeBackend());
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, System.Text.Encoding.UTF8, "application/json") };
        req.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        using var resp = await server.Http.SendAsync(req);
        Assert.Equal(200, (int)resp.StatusCode);
        var mine = spans.Where(s => s.TraceId.ToString() == traceId).Select(s => s.OperationName).ToHashSet();
        Assert.Contains("queue", mine);
        Assert.Contains("prefill", mine);
        Assert.Contains("decode", mine);
    }
}
