using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CyLlm.Engine;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// Admission is the engine's: requests go straight into its priority-ordered waiting queue, and streams are read
/// with await (no thread per stream). The engine's loop is held at chosen points through its logits tap (a gate on
/// its own thread), so what is queued when is decided by the test, never by timing.
/// </summary>
public class EngineAdmissionTests
{
    private static SubmitSignalBackend Stories(ServingOptions serving) =>
        new(new EngineBackend(InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 2 }), "stories260K", serving: serving));

    private static string StreamBody(int priority, int maxTokens) => JsonSerializer.Serialize(new
    {
        prompt = "Once upon a time",
        max_tokens = maxTokens,
        stream = true,
        temperature = 0,
        ignore_eos = true,
        priority,
    });

    private static async Task<string> ReadAllAsync(Task<HttpResponseMessage> response)
    {
        using var r = await response;
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        return body;
    }

    [Fact]
    public async Task A_high_priority_request_gets_its_first_token_before_low_priority_ones_queued_earlier()
    {
        const int Low = 10;
        const int High = 0;
        var backend = Stories(new ServingOptions { MaxRunning = 2 });
        var serving = ((EngineBackend)backend.Inner).Serving!;

        // Priorities in the order the engine produced each request's first token; the loop holds once both long
        // streams have theirs, until everything else is queued.
        var firstTokens = new ConcurrentQueue<int>();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim(false);
        serving.OnLogits = (request, generated, _) =>
        {
            if (generated == 0)
            {
                firstTokens.Enqueue(request.Priority);
                if (firstTokens.Count == 2)
                {
                    held.TrySetResult();
                    release.Wait();
                }
            }
        };

        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend });
        var running = new[] { server.PostJsonAsync("/v1/completions", StreamBody(Low, 40)), server.PostJsonAsync("/v1/completions", StreamBody(Low, 60)) };
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queuedLow = Enumerable.Range(0, 6).Select(_ => server.PostJsonAsync("/v1/completions", StreamBody(Low, 4))).ToArray();
        await backend.SubmittedAsync(8).WaitAsync(TimeSpan.FromSeconds(30));
        var high = server.PostJsonAsync("/v1/completions", StreamBody(High, 4));
        await backend.SubmittedAsync(9).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(7, serving.Waiting);
        release.Set();

        foreach (var r in running.Concat(queuedLow).Append(high))
        {
            Assert.EndsWith("data: [DONE]", (await ReadAllAsync(r)).TrimEnd());
        }

        Assert.Equal([Low, Low, High, Low, Low, Low, Low, Low, Low], firstTokens.ToArray());
    }

    [Fact]
    public async Task Streams_256_at_once_complete_with_few_threads_and_health_answers_meanwhile()
    {
        const int Streams = 256;
        var backend = Stories(new ServingOptions { MaxWaiting = Streams });
        var serving = ((EngineBackend)backend.Inner).Serving!;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim(false);
        serving.OnLogits = (_, _, _) =>
        {
            // The first token of the first stream holds the loop until all 256 are in flight.
            held.TrySetResult();
            release.Wait();
        };

        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend, MaxQueue = Streams });
        using var sampling = new CancellationTokenSource();
        int maxThreads = 0;
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            do
            {
                using var p = Process.GetCurrentProcess();
                maxThreads = Math.Max(maxThreads, p.Threads.Count);
            }
            while (await timer.WaitForNextTickAsync(sampling.Token).AsTask().ContinueWith(t => !t.IsCanceled, TaskScheduler.Default));
        });

        var streams = Enumerable.Range(0, Streams).Select(i => server.PostJsonAsync("/v1/completions", StreamBody(0, 8))).ToArray();
        await backend.SubmittedAsync(Streams).WaitAsync(TimeSpan.FromSeconds(60));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        int inFlight;
        using (var p = Process.GetCurrentProcess())
        {
            inFlight = p.Threads.Count;
        }

        // Every stream is in the engine (one running, the rest queued): the HTTP side still answers at once.
        using (var health = await server.Http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        release.Set();
        foreach (var s in streams)
        {
            string body = await ReadAllAsync(s);
            Assert.DoesNotContain("\"error\"", body);
            Assert.EndsWith("data: [DONE]", body.TrimEnd());
        }

        sampling.Cancel();
        await sampler;
        Assert.True(maxThreads <= 64 && inFlight <= 64, $"threads: {inFlight} with 256 streams in flight, {maxThreads} at most during the run");
        Console.WriteLine($"256 streams: {inFlight} threads with all in flight, {maxThreads} at most");
    }

    [Fact]
    public async Task A_client_that_disconnects_leaves_the_engine_queue_and_a_running_one_is_stopped()
    {
        var backend = Stories(new ServingOptions { MaxRunning = 1 });
        var serving = ((EngineBackend)backend.Inner).Serving!;

        // The loop holds at the running stream's first token (while the second is queued and its client leaves) and at
        // its fifth (while its own client leaves), so each disconnect is seen before the engine moves on.
        var firstHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fifthHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var releaseFirst = new ManualResetEventSlim(false);
        using var releaseFifth = new ManualResetEventSlim(false);
        serving.OnLogits = (_, generated, _) =>
        {
            if (generated == 0 && firstHeld.TrySetResult())
            {
                releaseFirst.Wait();
            }
            else if (generated == 5 && fifthHeld.TrySetResult())
            {
                releaseFifth.Wait();
            }
        };

        await using var server = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => backend });
        using var runningClient = new CancellationTokenSource();
        using var queuedClient = new CancellationTokenSource();
        var running = server.Http.PostAsync("/v1/completions", Json(StreamBody(0, 400)), runningClient.Token);
        await firstHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = server.Http.PostAsync("/v1/completions", Json(StreamBody(0, 4)), queuedClient.Token);
        await backend.SubmittedAsync(2).WaitAsync(TimeSpan.FromSeconds(30));
        queuedClient.Cancel();
        await backend.CancelledAsync(1).WaitAsync(TimeSpan.FromSeconds(30));
        releaseFirst.Set();

        // The queued one never ran: the engine dropped it from its queue as cancelled.
        var dropped = await backend.Stream(1).Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CyLlm.Engine.Generation.FinishReason.Cancelled, dropped.FinishReason);
        Assert.False(backend.Stream(1).Started.IsCompleted);
        Assert.Empty(dropped.TokenIds);
        Assert.Equal(0, serving.Waiting);

        // The running one stops when its client goes, long before its 400 tokens.
        await fifthHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        runningClient.Cancel();
        await backend.CancelledAsync(0).WaitAsync(TimeSpan.FromSeconds(30));
        releaseFifth.Set();
        var stopped = await backend.Stream(0).Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CyLlm.Engine.Generation.FinishReason.Cancelled, stopped.FinishReason);
        Assert.True(stopped.TokenIds.Length < 10, $"{stopped.TokenIds.Length} tokens");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task The_engine_queue_bound_in_prompt_tokens_answers_503_at_once()
    {
        // The engine sized from the server's settings (cyllm serve --max-running 1 --max-queue-tokens 8): one running
        // stream, one five-token prompt waiting, and a second one would pass eight waiting prompt tokens.
        var settings = new GatewayOptions { MaxRunning = 1, MaxQueueTokens = 8 };
        var backend = Stories(ModelHost.ServingOptionsOf(settings));
        var serving = ((EngineBackend)backend.Inner).Serving!;
        int prompt = serving.Engine.Encode("Once upon a time").Length;
        Assert.True(prompt <= 8 && prompt * 2 > 8, $"{prompt} prompt tokens");
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim(false);
        serving.OnLogits = (_, generated, _) =>
        {
            if (generated == 0 && held.TrySetResult())
            {
                release.Wait();
            }
        };

        await using var server = await LiveServer.StartAsync(settings with { BackendFactory = () => backend });
        var running = server.PostJsonAsync("/v1/completions", StreamBody(0, 8));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = server.PostJsonAsync("/v1/completions", StreamBody(0, 8));
        await backend.SubmittedAsync(2).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, serving.Waiting);

        using (var rejected = await server.PostJsonAsync("/v1/completions", StreamBody(0, 8)))
        {
            await ErrorAssert.IsAsync(rejected, 503, "server_overloaded");
            Assert.NotNull(rejected.Headers.RetryAfter);
        }

        release.Set();
        Assert.EndsWith("data: [DONE]", (await ReadAllAsync(running)).TrimEnd());
        Assert.EndsWith("data: [DONE]", (await ReadAllAsync(queued)).TrimEnd());
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}
