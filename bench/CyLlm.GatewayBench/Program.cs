using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Gateway;
using CyLlm.Gateway.Endpoints.Chat;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Hosting;
using CyLlm.GatewayBench;
using Microsoft.Extensions.Logging;

// Gateway benchmarks (issue 3); prints one JSON object per scenario.
//   dotnet run -c Release --project bench/CyLlm.GatewayBench -- [overhead|health|sse|all] [--requests N] [--streams N]
string scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
int Arg(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
var json = new JsonSerializerOptions { WriteIndented = false };
ThreadPool.GetMinThreads(out int minWorkers, out _);

async Task<GatewayApp> Start(BenchBackend backend, int maxQueue)
{
    var app = GatewayApp.Build(new GatewayOptions
    {
        BackendFactory = () => backend,
        Host = "127.0.0.1",
        Port = 0,
        MaxQueue = maxQueue,
        AuthDisabled = true,
        MinimumLogLevel = LogLevel.Error,
        RunBatchWorker = false,
        FineTuningWorker = false,
        Alerts = new() { Enabled = false },
        RequestTimeout = TimeSpan.FromMinutes(5),
        StreamIdleTimeout = TimeSpan.FromMinutes(1),
        KeepAliveInterval = TimeSpan.FromSeconds(30),
    });
    await app.StartAsync();
    await app.State.Model.Loading;
    return app;
}

HttpClient Client(GatewayApp app, int connections) => new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(app.BaseUrl),
    Timeout = TimeSpan.FromMinutes(5),
    DefaultRequestVersion = HttpVersion.Version11,
};

const string ChatBody = "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the gateway benchmark.\"}],\"max_tokens\":8}";

if (scenario is "overhead" or "all")
{
    // The same request in-process (messages → template → sampling params → backend) and over HTTP loopback.
    int n = Arg("--requests", 2000);
    var backend = new BenchBackend(1, TimeSpan.Zero);
    await using var app = await Start(backend, 64);
    using var http = Client(app, 1);
    var inProc = new List<double>(n);
    var overHttp = new List<double>(n);
    var floor = new List<double>(n); // GET /health over the same connection: Kestrel + HttpClient + the middleware, no handler work
    var request = JsonSerializer.Deserialize<ChatCompletionRequest>(ChatBody, CyLlm.Gateway.Json.GatewayJson.Options)!;
    for (int i = 0; i < n + 200; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        var messages = ChatHandler.ToMessages(request.Messages);
        var gen = SamplingMapper.Build(request, backend, backend.EncodeChat(messages), request.MaxTokens, false, 0);
        var result = await backend.GenerateAsync(gen);
        _ = JsonSerializer.SerializeToUtf8Bytes(result.Text);
        double a = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        t0 = Stopwatch.GetTimestamp();
        using var resp = await http.PostAsync("/v1/chat/completions", new StringContent(ChatBody, Encoding.UTF8, "application/json"));
        _ = await resp.Content.ReadAsByteArrayAsync();
        double b = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (resp.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"HTTP {(int)resp.StatusCode}");
        }

        t0 = Stopwatch.GetTimestamp();
        using var health = await http.GetAsync("/health");
        _ = await health.Content.ReadAsByteArrayAsync();
        double c = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (i >= 200)
        {
            // The first 200 warm up the JIT and the connection.
            inProc.Add(a);
            overHttp.Add(b);
            floor.Add(c);
        }
    }

    var p1 = Percentiles.Of(inProc);
    var p2 = Percentiles.Of(overHttp);
    var p3 = Percentiles.Of(floor);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        scenario = "overhead",
        requests = n,
        in_process_ms = p1,
        http_loopback_ms = p2,
        overhead_p50_ms = Math.Round(p2.P50 - p1.P50, 4),
        overhead_p99_ms = Math.Round(p2.P99 - p1.P99, 4),
        // The HTTP round trip itself, for scale: what any server on this loopback and client pays.
        health_loopback_ms = p3,
        chat_minus_health_p50_ms = Math.Round(p2.P50 - p3.P50, 4),
    }, json));
}

if (scenario is "health" or "all")
{
    // /health latency while N streams generate (a token every 20 ms each).
    int streams = Arg("--streams", 64);
    var backend = new BenchBackend(streams, TimeSpan.FromMilliseconds(20));
    await using var app = await Start(backend, streams * 2);
    using var http = Client(app, streams + 4);
    using var probe = Client(app, 1);
    using var stop = new CancellationTokenSource();
    int completed = 0, failed = 0;
    const string body = "{\"model\":\"bench\",\"prompt\":\"go\",\"max_tokens\":100,\"stream\":true}";
    var loops = Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var resp = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"), stop.Token);
                string text = await resp.Content.ReadAsStringAsync(stop.Token);
                if (text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref completed);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    })).ToArray();
    await Task.Delay(1000);
    var health = new List<double>();
    var until = Stopwatch.StartNew();
    while (until.Elapsed < TimeSpan.FromSeconds(8))
    {
        long t0 = Stopwatch.GetTimestamp();
        using var r = await probe.GetAsync("/health");
        _ = await r.Content.ReadAsByteArrayAsync();
        health.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        await Task.Delay(10);
    }

    int running = backend.Waiting;
    stop.Cancel();
    await Task.WhenAll(loops);
    Console.WriteLine(JsonSerializer.Serialize(new { scenario = "health_under_load", streams, health_ms = Percentiles.Of(health), streams_completed = completed, streams_failed = failed, queued_at_end = running }, json));
}

if (scenario is "sse" or "all")
{
    // N concurrent SSE connections, one token per second each for 5 s: all must complete.
    int n = Arg("--streams", 1000);
    var backend = new BenchBackend(n, TimeSpan.FromSeconds(1));
    await using var app = await Start(backend, n + 16);
    using var http = Client(app, n);
    const string body = "{\"model\":\"bench\",\"prompt\":\"go\",\"max_tokens\":5,\"stream\":true}";
    var sw = Stopwatch.StartNew();
    int ok = 0, bad = 0;
    var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
    var health = new List<double>();
    var clients = Enumerable.Range(0, n).Select(_ => Task.Run(async () =>
    {
        try
        {
            using var resp = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            string text = await resp.Content.ReadAsStringAsync();
            int tokens = text.Split("\"text\":\"x\"").Length - 1;
            if (resp.StatusCode == HttpStatusCode.OK && tokens == 5 && text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref ok);
            }
            else
            {
                Interlocked.Increment(ref bad);
                errors.Add($"{(int)resp.StatusCode} tokens={tokens}");
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref bad);
            errors.Add(e.GetType().Name + ": " + e.Message);
        }
    })).ToArray();
    using var probe = Client(app, 1);
    var all = Task.WhenAll(clients);
    while (!all.IsCompleted)
    {
        long t0 = Stopwatch.GetTimestamp();
        using var r = await probe.GetAsync("/health");
        health.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        await Task.WhenAny(all, Task.Delay(50));
    }

    ThreadPool.GetAvailableThreads(out int freeWorkers, out _);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        scenario = "sse_connections",
        streams = n,
        ok,
        failed = bad,
        seconds = Math.Round(sw.Elapsed.TotalSeconds, 2),
        health_during_ms = Percentiles.Of(health),
        pool_threads = ThreadPool.ThreadCount,
        min_pool_threads = minWorkers,
        first_errors = errors.Take(3).ToArray(),
    }, json));
}
