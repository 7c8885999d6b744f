using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace CyLlm.Cli.Tests;

/// <summary>
/// Issue 17: one gateway (<c>cyllm serve --workers</c>) in front of two real <c>cyllm serve</c> engine workers on the
/// built-in model, each <c>--threads 1</c>. A repeated long prompt goes to one worker, so more of it is served from the
/// prefix cache than when a client alternates between the workers; a worker killed with SIGKILL while requests are in
/// flight costs no request more than an error object (or nothing, when it is retried), every answer comes within 10 s
/// of the kill, the gateway marks the worker down, and new requests keep succeeding on the other worker.
/// </summary>
public sealed class ServeWorkersTests(ITestOutputHelper log) : IDisposable
{
    private readonly List<ServeProcess> _processes = [];
    private readonly List<string> _dirs = [];

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Dispose();
        }

        foreach (string d in _dirs)
        {
            try
            {
                Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
                // A killed process may still hold a file for a moment; the temp folder is cleaned by the OS later.
            }
        }
    }

    [Fact]
    public async Task A_repeated_prompt_sticks_to_one_worker_and_a_killed_worker_costs_no_request_more_than_an_error()
    {
        var w1 = Serve("--threads", "1");
        var w2 = Serve("--threads", "1");
        await Task.WhenAll(w1.WaitReadyAsync(), w2.WaitReadyAsync());
        string workers = $"http://127.0.0.1:{w1.Port},http://127.0.0.1:{w2.Port}";
        var gateway = Serve("--threads", "1", "--workers", workers, "--worker-heartbeat", "0.5");
        await gateway.WaitReadyAsync();

        // Affinity: six repeats of one long prompt through the gateway all reach one worker; alternating between the
        // workers directly (round robin) with another prompt of the same length misses the cache once on each.
        int affinity = 0, roundRobin = 0;
        for (int i = 0; i < 6; i++)
        {
            affinity += CachedTokens(await PostAsync(gateway.Http, LongPrompt("Lily")));
        }

        for (int i = 0; i < 6; i++)
        {
            roundRobin += CachedTokens(await PostAsync((i % 2 == 0 ? w1 : w2).Http, LongPrompt("Tom")));
        }

        log.WriteLine($"cached tokens: affinity {affinity}, round robin {roundRobin}");
        Assert.True(affinity > roundRobin, $"affinity {affinity} cached tokens, round robin {roundRobin}");

        // Requests in flight on both workers: non-streaming and streaming, long enough to outlive the kill.
        var body = JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 120, ignore_eos = true, temperature = 0.9 });
        var streamBody = JsonSerializer.Serialize(new { prompt = "Once upon a time", max_tokens = 120, ignore_eos = true, temperature = 0.9, stream = true });
        using var client = new HttpClient { BaseAddress = gateway.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var requests = Enumerable.Range(0, 8).Select(i => OutcomeAsync(client, i % 4 == 3 ? streamBody : body)).ToList();
        var victim = await BusiestWorkerAsync(gateway, w1, w2);
        long killedAt = Stopwatch.GetTimestamp();
        victim.KillHard();

        // Every request is answered — a success (on the survivor, or retried there) or a 502/503 error object — and
        // within 10 s of the kill.
        var outcomes = await Task.WhenAll(requests);
        foreach (var o in outcomes)
        {
            var after = Stopwatch.GetElapsedTime(killedAt, o.EndedAt);
            log.WriteLine($"{o.Status} {after.TotalSeconds:0.00} s after the kill: {o.Summary}");
            Assert.True(o.Ok || o.Status is 502 or 503, $"{o.Status}: {o.Summary}");
            Assert.True(after < TimeSpan.FromSeconds(10), $"answered {after} after the kill: {o.Summary}");
        }

        // The gateway marks the worker down, and new requests keep succeeding on the survivor.
        var survivor = victim == w1 ? w2 : w1;
        await WaitUntilAsync(async () => (await WorkerStateAsync(gateway, victim.Port)) == "down", TimeSpan.FromSeconds(10));
        for (int i = 0; i < 4; i++)
        {
            using var resp = await gateway.Http.PostAsync("/v1/completions", Json(JsonSerializer.Serialize(new { prompt = $"After the kill {i}", max_tokens = 8 })));
            Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
        }

        Assert.Equal("up", await WorkerStateAsync(gateway, survivor.Port));
    }

    private ServeProcess Serve(params string[] args)
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-workers-").FullName;
        _dirs.Add(dir);
        var p = ServeProcess.Start(["--data-dir", dir, "--skip-health-check", .. args]);
        _processes.Add(p);
        return p;
    }

    /// <summary>About 150 tokens of the built-in model: several prefix-cache blocks, well inside its context.</summary>
    private static string LongPrompt(string name) =>
        string.Concat(Enumerable.Repeat($"{name} went to the market with a basket and bought bread. ", 10));

    private static async Task<JsonElement> PostAsync(HttpClient http, string prompt)
    {
        using var resp = await http.PostAsync("/v1/completions", Json(JsonSerializer.Serialize(new { prompt, max_tokens = 4, temperature = 0 })));
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static int CachedTokens(JsonElement completion) =>
        completion.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();

    /// <summary>Waits until the gateway has requests in flight on a worker and returns the busiest one.</summary>
    private static async Task<ServeProcess> BusiestWorkerAsync(ServeProcess gateway, ServeProcess w1, ServeProcess w2)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var doc = JsonDocument.Parse(await gateway.Http.GetStringAsync("/status"));
            var inFlight = doc.RootElement.GetProperty("workers").EnumerateArray()
                .Select(w => (Port: new Uri(w.GetProperty("url").GetString()!).Port, InFlight: w.GetProperty("in_flight").GetInt32()))
                .OrderByDescending(w => w.InFlight).First();
            if (inFlight.InFlight >= 2 || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.True(inFlight.InFlight > 0, "no request reached a worker");
                return inFlight.Port == w1.Port ? w1 : w2;
            }

            await Task.Delay(20);
        }
    }

    private static async Task<string?> WorkerStateAsync(ServeProcess gateway, int port)
    {
        using var doc = JsonDocument.Parse(await gateway.Http.GetStringAsync("/status"));
        return doc.RootElement.GetProperty("workers").EnumerateArray()
            .Single(w => new Uri(w.GetProperty("url").GetString()!).Port == port).GetProperty("state").GetString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < limit, $"not within {limit}");
            await Task.Delay(100);
        }
    }

    /// <summary>One request's end: its status, whether it succeeded (a streaming one: [DONE] without an error event).</summary>
    private static async Task<Outcome> OutcomeAsync(HttpClient client, string body)
    {
        using var resp = await client.PostAsync("/v1/completions", Json(body));
        string text = await resp.Content.ReadAsStringAsync();
        int status = (int)resp.StatusCode;
        if (status != 200)
        {
            using var doc = JsonDocument.Parse(text); // an OpenAI error object, never an empty or HTML answer
            return new Outcome(status, false, doc.RootElement.GetProperty("error").GetProperty("code").GetString() ?? "", Stopwatch.GetTimestamp());
        }

        if (resp.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            bool error = text.Contains("\"error\"", StringComparison.Ordinal);
            Assert.True(text.TrimEnd().EndsWith("data: [DONE]", StringComparison.Ordinal) || error, text[^Math.Min(300, text.Length)..]);
            return new Outcome(error ? 502 : 200, !error, error ? "SSE error event" : "stream complete", Stopwatch.GetTimestamp());
        }

        using var ok = JsonDocument.Parse(text);
        return new Outcome(200, true, ok.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString() ?? "", Stopwatch.GetTimestamp());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private sealed record Outcome(int Status, bool Ok, string Summary, long EndedAt);
}
