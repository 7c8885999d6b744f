using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>
/// The gateway against two stub engine workers whose every step the test controls: a client that goes away aborts the
/// worker's request; a worker whose connection breaks before anything reached the client is replaced by the other one
/// (non-streaming even after tokens arrived, since none was read); one that breaks after a streamed token gives an SSE
/// error event; a worker the heartbeat marks down has its in-flight request moved at once, well before any timeout.
/// </summary>
public sealed class WorkerFaultTests : IDisposable
{
    private const string Hello = "{\"token_id\":10,\"text\":\"Hello\"}";
    private const string World = "{\"token_id\":11,\"text\":\" world\"}";
    private const string Final = "{\"finish_reason\":\"length\",\"token_ids\":[10,11],\"text\":\"Hello world\",\"prompt_tokens\":3,\"completion_tokens\":2,\"cached_tokens\":0}";

    // Ends reads that would otherwise wait forever on a broken gateway (a bound, not a timing assertion).
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));

    public void Dispose() => _guard.Dispose();

    [Fact]
    public async Task A_client_that_goes_away_aborts_the_workers_request()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stub = await StubEngineWorker.StartAsync(async ctx =>
        {
            await StubEngineWorker.LineAsync(ctx, Hello);
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        });
        await using var cluster = await WorkerCluster.StartAsync(workers: 0, extraUrls: [stub.BaseUrl]);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_guard.Token);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json(stream: true) };
        using var resp = await cluster.Gateway.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(cancel.Token));
        while (await reader.ReadLineAsync(cancel.Token) is { } line && !line.Contains("Hello", StringComparison.Ordinal))
        {
        }

        Assert.Equal(1, cluster.Backend.Pool.Workers[0].InFlight);
        await cancel.CancelAsync();
        resp.Dispose();
        await aborted.Task.WaitAsync(_guard.Token);
        Assert.True(SpinWait.SpinUntil(() => cluster.Backend.Pool.Workers[0].InFlight == 0, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_broken_connection_before_anything_reached_the_client_moves_the_request_to_the_other_worker()
    {
        int calls = 0;
        Func<HttpContext, Task> generate = async ctx =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                // A token arrives, then the connection breaks (a killed worker): a non-streaming client has read nothing.
                await StubEngineWorker.LineAsync(ctx, Hello);
                ctx.Abort();
                return;
            }

            await StubEngineWorker.LineAsync(ctx, Hello);
            await StubEngineWorker.LineAsync(ctx, World);
            await StubEngineWorker.LineAsync(ctx, Final);
        };
        await using var a = await StubEngineWorker.StartAsync(generate);
        await using var b = await StubEngineWorker.StartAsync(generate);
        await using var cluster = await WorkerCluster.StartAsync(workers: 0, extraUrls: [a.BaseUrl, b.BaseUrl], heartbeat: TimeSpan.FromMinutes(1));

        using (var resp = await cluster.Gateway.Http.PostAsync("/v1/completions", Json(stream: false), _guard.Token))
        {
            string body = await resp.Content.ReadAsStringAsync(_guard.Token);
            Assert.True(resp.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal("Hello world", JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        }

        Assert.Equal(2, a.Generations + b.Generations); // the first try broke on one worker, the retry succeeded on the other
        var dead = Assert.Single(cluster.Backend.Pool.Workers, w => !w.IsUp); // marked down at once (the slow heartbeat has not run again)
        Assert.NotNull(dead.Snapshot().LastError);

        // New requests go to the live worker only.
        using (var resp = await cluster.Gateway.Http.PostAsync("/v1/completions", Json(stream: false), _guard.Token))
        {
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        }

        var live = new[] { a, b }.Single(s => s.BaseUrl.TrimEnd('/') != dead.Url);
        Assert.Equal(2, live.Generations);
    }

    [Fact]
    public async Task A_worker_that_breaks_after_a_streamed_token_gives_an_sse_error_event()
    {
        await using var stub = await StubEngineWorker.StartAsync(async ctx =>
        {
            await StubEngineWorker.LineAsync(ctx, Hello);
            await Task.Delay(200, ctx.RequestAborted); // the client has the first token by now
            ctx.Abort();
        });
        await using var spare = await StubEngineWorker.StartAsync(async ctx =>
        {
            await StubEngineWorker.LineAsync(ctx, Hello);
            await Task.Delay(200, ctx.RequestAborted);
            ctx.Abort();
        });
        await using var cluster = await WorkerCluster.StartAsync(workers: 0, extraUrls: [stub.BaseUrl, spare.BaseUrl]);

        using var resp = await cluster.Gateway.Http.PostAsync("/v1/completions", Json(stream: true), _guard.Token);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        string text = await resp.Content.ReadAsStringAsync(_guard.Token);
        var payloads = Sse.Payloads(text);
        Assert.Equal("Hello", payloads[0].GetProperty("choices")[0].GetProperty("text").GetString());
        var error = payloads[^1].GetProperty("error");
        Assert.Equal(WorkerErrors.WorkerFailed, error.GetProperty("code").GetString());
        Assert.Contains("Fix:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, stub.Generations + spare.Generations); // no retry once the client had a token
    }

    [Fact]
    public async Task A_worker_marked_down_by_missed_heartbeats_has_its_in_flight_request_moved_at_once()
    {
        var stubs = new List<StubEngineWorker>();
        int calls = 0;
        Func<HttpContext, Task> generate = async ctx =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                // Hangs with a token sent (a stuck worker), and stops answering heartbeats.
                stubs.Single(s => new Uri(s.BaseUrl).Port == ctx.Connection.LocalPort).Healthy = false;
                await StubEngineWorker.LineAsync(ctx, Hello);
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                return;
            }

            await StubEngineWorker.LineAsync(ctx, Hello);
            await StubEngineWorker.LineAsync(ctx, World);
            await StubEngineWorker.LineAsync(ctx, Final);
        };
        await using var a = await StubEngineWorker.StartAsync(generate);
        await using var b = await StubEngineWorker.StartAsync(generate);
        stubs.AddRange([a, b]);
        await using var cluster = await WorkerCluster.StartAsync(workers: 0, extraUrls: [a.BaseUrl, b.BaseUrl], heartbeat: TimeSpan.FromMilliseconds(250));

        var watch = Stopwatch.StartNew();
        using var resp = await cluster.Gateway.Http.PostAsync("/v1/completions", Json(stream: false), _guard.Token);
        string body = await resp.Content.ReadAsStringAsync(_guard.Token);
        Assert.True(resp.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("Hello world", JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        // 3 missed polls of 250 ms, not the 60 s request timeout; a generous bound for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        var down = cluster.Backend.Pool.Workers.Single(w => !w.IsUp).Snapshot();
        Assert.True(down.ConsecutiveMisses >= 3, $"{down.ConsecutiveMisses} misses");
        Assert.Equal(2, a.Generations + b.Generations);
    }

    private static StringContent Json(bool stream) =>
        new(JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 2, temperature = 0, stream }), Encoding.UTF8, "application/json");
}
