using System.Net;
using System.Text;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// The router against stub decode workers whose every step the test controls: the first token reaches the SSE client
/// while the decode worker is still held, a worker failing mid-stream gives the client an OpenAI error (an SSE error
/// event or a 502), a client that goes away aborts the decode worker's request, and adapters are still refused.
/// </summary>
public sealed class RouterStreamFaultTests : IDisposable
{
    private const string Hello = "{\"token_id\":10,\"text\":\"Hello\"}";
    private const string World = "{\"token_id\":11,\"text\":\" world\"}";
    private const string Final = "{\"finish_reason\":\"length\",\"token_ids\":[10,11],\"text\":\"Hello world\",\"prompt_tokens\":3,\"completion_tokens\":2,\"cached_tokens\":0}";
    private static readonly string Body = JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 2, temperature = 0, stream = true });

    // Ends reads that would otherwise wait for a router that does not stream (a bound, not a timing assertion).
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));

    public void Dispose() => _guard.Dispose();

    [Fact]
    public async Task The_first_token_reaches_the_client_before_the_decode_worker_finishes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var decode = await StubWorker.StartAsync(async ctx =>
        {
            await StubWorker.LineAsync(ctx, Hello);
            await gate.Task.WaitAsync(ctx.RequestAborted);
            await StubWorker.LineAsync(ctx, World);
            await StubWorker.LineAsync(ctx, Final);
        });
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: decode.BaseUrl, decodeUrl: decode.BaseUrl);

        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        using var resp = await cluster.Router.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        var events = new List<string>();
        // Only the first token was written; a router that buffered until the end would never get here (the gate waits on us).
        while (await reader.ReadLineAsync(_guard.Token) is { } line && !line.Contains("Hello", StringComparison.Ordinal))
        {
            events.Add(line);
        }

        Assert.False(gate.Task.IsCompleted);
        Assert.Equal(1, decode.Running);
        gate.SetResult();
        string rest = (await reader.ReadToEndAsync(_guard.Token)).TrimStart('\n');
        var payloads = Sse.Payloads(rest);
        Assert.Equal(" world", payloads[0].GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("length", payloads[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("[DONE]", Sse.DataLines(rest)[^1]);
    }

    [Theory]
    [InlineData("error line")]
    [InlineData("connection drop")]
    public async Task A_decode_worker_failing_mid_stream_gives_the_client_an_OpenAI_error(string failure)
    {
        // The worker fails once the client has the first token (a dropped connection could otherwise lose it unread).
        var clientHasToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var decode = await StubWorker.StartAsync(async ctx =>
        {
            await StubWorker.LineAsync(ctx, Hello);
            await clientHasToken.Task.WaitAsync(ctx.RequestAborted);
            if (failure == "error line")
            {
                await StubWorker.LineAsync(ctx, "{\"error\":{\"message\":\"the engine failed\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}");
            }
            else
            {
                ctx.Abort();
            }
        });
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: decode.BaseUrl, decodeUrl: decode.BaseUrl);

        // Streaming: the token went out, then the error as an SSE event, as the co-located path reports mid-stream errors.
        using (var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") })
        using (var resp = await cluster.Router.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync(_guard.Token) is { } line && !line.Contains("Hello", StringComparison.Ordinal))
            {
            }

            clientHasToken.SetResult();
            string rest = (await reader.ReadToEndAsync(_guard.Token)).TrimStart('\n');
            var error = ErrorAssert.Parse(Sse.DataLines(rest).Single());
            Assert.Equal(DisaggregationErrors.KvTransferFailed, error.GetProperty("code").GetString());
            Assert.Contains("after 1 tokens", error.GetProperty("message").GetString());
            Assert.Contains("Fix:", error.GetProperty("message").GetString());
        }

        // Not streaming: a 502 error object.
        using var whole = await cluster.Router.PostJsonAsync("/v1/completions", Body.Replace("\"stream\":true", "\"stream\":false", StringComparison.Ordinal));
        await ErrorAssert.IsAsync(whole, 502, DisaggregationErrors.KvTransferFailed);
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_stream_aborts_the_decode_workers_request()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var decode = await StubWorker.StartAsync(async ctx =>
        {
            await StubWorker.LineAsync(ctx, Hello);
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.SetResult();
            }
        });
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: decode.BaseUrl, decodeUrl: decode.BaseUrl);

        using (var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") })
        using (var resp = await cluster.Router.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync(_guard.Token) is { } line && !line.Contains("Hello", StringComparison.Ordinal))
            {
            }

            Assert.Equal(1, decode.Running);
        }

        // Closing the response closed the client's connection; the router cancels its call to the decode worker.
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await RouterStreamingTests.WaitUntilAsync(() => decode.Running == 0);
    }

    [Fact]
    public async Task A_decode_worker_without_streaming_still_serves_the_router()
    {
        // An older decode worker ignores "stream" and answers one DecodeWorkResponse: the router replays its tokens.
        await using var decode = await StubWorker.StartAsync(ctx => ctx.Response.WriteAsJsonAsync(new
        {
            bootstrap_room = 1,
            token_ids = new[] { 10, 11 },
            piece_ids = new[] { 10, 11 },
            pieces = new[] { "Hello", " world" },
            text = "Hello world",
            finish_reason = "length",
        }));
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: decode.BaseUrl, decodeUrl: decode.BaseUrl);

        var payloads = await RouterStreamingTests.PayloadsAsync(cluster.Router, "/v1/completions", Body);
        Assert.Equal(["Hello", " world", ""], payloads.Select(p => p.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal("length", payloads[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Adapters_are_still_refused_on_the_disaggregated_path()
    {
        var settings = new DisaggregationSettings { Bootstrap = new KvEndpoint("127.0.0.1", 0), PrefillWorkers = ["http://127.0.0.1:1"], DecodeWorkers = ["http://127.0.0.1:1"] };
        using var router = new DisaggregatedBackend(
            new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 1 }), "stories260K"), settings, TimeSpan.FromSeconds(5));
        var request = new GenerationRequest { Prompt = "Once upon a time", Adapter = "my-adapter", Sampling = new() { Logprobs = true, RepetitionPenalty = 1.2f } };
        var e = Assert.Throws<ApiError>(() => router.Start(request, default));
        Assert.Equal(400, e.Status);
        Assert.Equal(ErrorCodes.InvalidRequest, e.Code);
        Assert.Equal("LoRA adapters are not served on the disaggregated path. Fix: send the request to a co-located server", e.Message);
    }
}
