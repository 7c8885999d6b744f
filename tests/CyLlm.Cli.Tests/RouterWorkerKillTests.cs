using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace CyLlm.Cli.Tests;

/// <summary>
/// Issue 17: a router (real `cyllm serve` processes) with two prefill and two decode workers; one worker is killed with
/// SIGKILL while requests are in flight. Every request is answered within 10 s — success, or a 502/503 OpenAI error
/// object — and afterwards requests keep succeeding on the survivors: the router marks a worker whose connection is
/// refused down and gives the room to the next worker (DisaggregatedBackend, WorkerPicker.MarkDown).
/// </summary>
public sealed class RouterWorkerKillTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [SkippableTheory]
    [InlineData("decode", "tcp")]
    [InlineData("prefill", "tcp")]
    [InlineData("decode", "redis")]
    [InlineData("prefill", "redis")]
    public async Task Killing_a_worker_mid_flight_answers_every_request_within_10_s_and_the_survivors_keep_serving(string victimRole, string registry)
    {
        // The router's TCP registry, or the workers' shared one in Redis (--bootstrap redis://..., no router hosts it);
        // Redis from CYLLM_TEST_REDIS (HOST:PORT), else the one .ci/services.sh starts on 127.0.0.1:6390 (the test fails without it).
        string redis = Environment.GetEnvironmentVariable("CYLLM_TEST_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:6390";
        string bootstrap = registry == "redis" ? $"redis://{redis}" : $"127.0.0.1:{FreePort()}";
        string model = CliProcess.Shared("stories260K.gguf");
        string[] common = ["--model", model, "--threads", "1", "--data-dir"];
        var workers = new List<ServeProcess>();
        try
        {
            foreach (string role in (string[])["prefill", "prefill", "decode", "decode"])
            {
                workers.Add(ServeProcess.Start([.. common, Scratch(role), "--role", role, "--bootstrap", bootstrap, "--kv-port", "0"]));
            }

            using var router = ServeProcess.Start([.. common, Scratch("router"), "--bootstrap", bootstrap,
                "--prefill-worker", Url(workers[0]), "--prefill-worker", Url(workers[1]),
                "--decode-worker", Url(workers[2]), "--decode-worker", Url(workers[3])]);
            foreach (var w in workers)
            {
                await w.WaitReadyAsync();
            }

            await router.WaitReadyAsync();
            using var http = new HttpClient { BaseAddress = router.Http.BaseAddress, Timeout = Limit + TimeSpan.FromSeconds(5) };

            // Warm-up: every prompt once, so both workers of each kind have served (prompts spread by affinity).
            for (int i = 0; i < 8; i++)
            {
                var (status, body, _) = await CompleteAsync(http, i);
                Assert.True(status == HttpStatusCode.OK, $"warm-up {i}: {(int)status} {body}");
            }

            // Four clients send requests back to back; one worker dies while they run.
            using var stop = new CancellationTokenSource();
            var outcomes = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string Body, TimeSpan Took)>();
            var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    outcomes.Add(await CompleteAsync(http, (c * 1000) + i));
                }
            })).ToArray();
            while (outcomes.Count < 8)
            {
                await Task.WhenAny(Task.WhenAll(clients), Task.Delay(10));
                Assert.False(clients.Any(t => t.IsFaulted), "a client failed before the kill");
            }

            var victim = victimRole == "decode" ? workers[2] : workers[0];
            victim.KillHard();
            int atKill = outcomes.Count;
            // Keep the clients going past the kill: requests in flight then, and new ones meeting the dead worker.
            while (outcomes.Count < atKill + 24)
            {
                await Task.WhenAny(Task.WhenAll(clients), Task.Delay(10));
            }

            await stop.CancelAsync();
            await Task.WhenAll(clients);

            var all = outcomes.ToList();
            log.WriteLine($"{all.Count} requests ({atKill} before the kill): {string.Join(", ", all.GroupBy(o => o.Status).Select(g => $"{(int)g.Key}×{g.Count()}"))}; slowest {all.Max(o => o.Took).TotalMilliseconds:0} ms");
            foreach (var (status, body, took) in all)
            {
                Assert.True(took < Limit, $"a request took {took}: {(int)status} {body}");
                if (status != HttpStatusCode.OK)
                {
                    Assert.True(status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, $"{(int)status}: {body}");
                    var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
                    Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()), body);
                    Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
                }
            }

            // Afterwards every request succeeds on the survivors, including prompts whose preferred worker is the dead one.
            for (int i = 0; i < 16; i++)
            {
                var (status, body, took) = await CompleteAsync(http, 5000 + i);
                Assert.True(status == HttpStatusCode.OK, $"after the kill, request {i}: {(int)status} {body}\n{router.Output}");
                Assert.True(took < Limit, $"after the kill, request {i} took {took}");
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> CompleteAsync(HttpClient http, int n)
    {
        // Different leading words per request: prefix affinity spreads them over both workers of each kind.
        string prompt = $"{n.ToString(CultureInfo.InvariantCulture)} Once upon a time, there was a little girl named Lily. She";
        string json = JsonSerializer.Serialize(new { model = "stories260K", prompt, max_tokens = 48, temperature = 0 });
        var clock = Stopwatch.StartNew();
        using var res = await http.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        string body = await res.Content.ReadAsStringAsync();
        return (res.StatusCode, body, clock.Elapsed);
    }

    private static string Url(ServeProcess p) => $"http://127.0.0.1:{p.Port.ToString(CultureInfo.InvariantCulture)}";

    private static string Scratch(string name) => Directory.CreateTempSubdirectory($"cyllm-kill-{name}-").FullName;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
