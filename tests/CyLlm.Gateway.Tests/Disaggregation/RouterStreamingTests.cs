using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// The router streaming across the hop with real prefill and decode workers on stories260K: SSE through the router
/// equals co-located SSE chunk for chunk, every sampling option (logprobs, penalties, logit_bias, min_p, min_tokens,
/// stop token ids) gives the co-located output, and a client that goes away frees the decode worker's request.
/// </summary>
public sealed class RouterStreamingTests
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily. She liked to play";

    // Fields that differ between any two responses (ids, clocks) or between servers' prefix caches.
    private static readonly HashSet<string> Unstable = ["id", "created", "system_fingerprint", "model", "prompt_tokens_details"];

    [Fact]
    public async Task Streaming_through_the_router_equals_colocated_token_for_token()
    {
        await using var cluster = await RouterCluster.StartAsync();
        var completion = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 32, temperature = 0, stream = true });
        var chat = JsonSerializer.Serialize(new
        {
            model = "stories260K",
            messages = new[] { new { role = "user", content = "Tell me a story about a cat." } },
            max_tokens = 32,
            temperature = 0,
            stream = true,
            stream_options = new { include_usage = true },
        });
        foreach (var (path, body) in new[] { ("/v1/completions", completion), ("/v1/chat/completions", chat) })
        {
            var expected = await PayloadsAsync(cluster.Prefill!, path, body);
            var routed = await PayloadsAsync(cluster.Router, path, body);
            Assert.True(expected.Count > 8, $"{path}: only {expected.Count} chunks");
            AssertSame(expected, routed, path);
        }
    }

    [Fact]
    public async Task Logprobs_penalties_logit_bias_and_stop_token_ids_through_the_router_equal_colocated()
    {
        await using var cluster = await RouterCluster.StartAsync();
        var local = cluster.Prefill!.App.State.RequireBackend();
        int[] prompt = local.Encode(Prompt);

        // Pick a bias that changes the output (ban the plain greedy first token) and a stop id the penalized run meets.
        var plain = await local.GenerateAsync(new GenerationRequest { PromptTokens = prompt, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 24 } });
        var sampling = new SamplingParams
        {
            Temperature = 0,
            MaxTokens = 24,
            RepetitionPenalty = 1.3f,
            PresencePenalty = 0.5f,
            FrequencyPenalty = 0.4f,
            MinP = 0.05f,
            LogitBias = new Dictionary<int, float> { [plain.TokenIds[0]] = -100 },
        };
        int[] penalized = (await local.GenerateAsync(new GenerationRequest { PromptTokens = prompt, Sampling = sampling })).TokenIds;
        int stopAt = Enumerable.Range(3, penalized.Length - 3).First(i => Array.IndexOf(penalized, penalized[i], 0, i) < 0);
        int stopId = penalized[stopAt];

        object Body(bool stream, int minTokens) => new
        {
            model = "stories260K",
            prompt,
            max_tokens = 24,
            temperature = 0,
            repetition_penalty = 1.3,
            presence_penalty = 0.5,
            frequency_penalty = 0.4,
            min_p = 0.05,
            logit_bias = new Dictionary<string, int> { [plain.TokenIds[0].ToString(System.Globalization.CultureInfo.InvariantCulture)] = -100 },
            stop_token_ids = new[] { stopId },
            min_tokens = minTokens,
            logprobs = 3,
            stream,
        };

        // Non-streaming: the router's result carries logprobs; the stop id ends generation, min_tokens overrides it.
        foreach (int minTokens in new[] { 0, Math.Min(stopAt + 2, 24) })
        {
            string body = JsonSerializer.Serialize(Body(false, minTokens));
            var expected = await JsonAsync(cluster.Prefill, "/v1/completions", body);
            var routed = await JsonAsync(cluster.Router, "/v1/completions", body);
            AssertClose(expected, routed, "completions");
            var choice = expected.GetProperty("choices")[0];
            int completionTokens = expected.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
            if (minTokens == 0)
            {
                Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
                Assert.Equal(stopAt, completionTokens);
            }
            else
            {
                Assert.True(completionTokens > stopAt, $"min_tokens {minTokens} did not hold off stop id {stopId}: {completionTokens} tokens");
            }

            Assert.Equal(3, choice.GetProperty("logprobs").GetProperty("top_logprobs")[0].EnumerateObject().Count());
            Assert.NotEqual(local.Decode(plain.TokenIds), choice.GetProperty("text").GetString());
        }

        // Streaming: logprobs ride on each chunk.
        string streamBody = JsonSerializer.Serialize(Body(true, 0));
        var expectedChunks = await PayloadsAsync(cluster.Prefill, "/v1/completions", streamBody);
        var routedChunks = await PayloadsAsync(cluster.Router, "/v1/completions", streamBody);
        Assert.Contains(routedChunks, p => p.GetProperty("choices")[0].TryGetProperty("logprobs", out var lp) && lp.ValueKind == JsonValueKind.Object);
        AssertSame(expectedChunks, routedChunks, "completions stream");

        // Chat: logprobs with top alternatives, streaming and not.
        foreach (bool stream in new[] { false, true })
        {
            string chat = JsonSerializer.Serialize(new
            {
                model = "stories260K",
                messages = new[] { new { role = "user", content = "Tell me a story about a dog." } },
                max_tokens = 20,
                temperature = 0,
                frequency_penalty = 0.8,
                logit_bias = new Dictionary<string, int> { [plain.TokenIds[0].ToString(System.Globalization.CultureInfo.InvariantCulture)] = -100 },
                logprobs = true,
                top_logprobs = 2,
                stream,
            });
            if (stream)
            {
                AssertSame(await PayloadsAsync(cluster.Prefill, "/v1/chat/completions", chat), await PayloadsAsync(cluster.Router, "/v1/chat/completions", chat), "chat stream");
            }
            else
            {
                var expected = await JsonAsync(cluster.Prefill, "/v1/chat/completions", chat);
                Assert.Equal(20, expected.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content").GetArrayLength());
                AssertClose(expected, await JsonAsync(cluster.Router, "/v1/chat/completions", chat), "chat");
            }
        }
    }

    [Fact]
    public async Task The_decode_worker_answers_one_json_without_stream_and_ndjson_lines_with_it()
    {
        await using var cluster = await RouterCluster.StartAsync();
        int[] prompt = cluster.Router.App.State.RequireBackend().Encode(Prompt);
        string expected = (await JsonAsync(cluster.Prefill!, "/v1/completions",
            JsonSerializer.Serialize(new { model = "stories260K", prompt, max_tokens = 12, temperature = 0 }))).GetProperty("choices")[0].GetProperty("text").GetString()!;

        // An old router: no "stream" field, one DecodeWorkResponse at the end.
        string old = await DecodeDirectAsync(cluster, 0x5150_0001, JsonSerializer.Serialize(new { bootstrap_room = 0x5150_0001, prompt_tokens = prompt, max_tokens = 12, temperature = 0 }), "application/json");
        var whole = JsonDocument.Parse(old).RootElement;
        Assert.Equal(expected, whole.GetProperty("text").GetString());
        Assert.Equal(12, whole.GetProperty("token_ids").GetArrayLength());

        // A streaming request: one line per token with its logprobs, then the final line.
        string ndjson = await DecodeDirectAsync(cluster, 0x5150_0002, JsonSerializer.Serialize(new
        {
            bootstrap_room = 0x5150_0002,
            prompt_tokens = prompt,
            max_tokens = 12,
            temperature = 0,
            logprobs = true,
            top_logprobs = 2,
            stream = true,
        }), "application/x-ndjson");
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var tokens = lines.Where(l => l.TryGetProperty("token_id", out var id) && id.GetInt32() >= 0).ToList();
        Assert.Equal(12, tokens.Count);
        Assert.All(tokens, t => Assert.Equal(2, t.GetProperty("top_logprobs").GetArrayLength()));
        Assert.All(tokens, t => Assert.True(t.GetProperty("logprob").GetSingle() <= 0));
        var final = lines[^1];
        Assert.Equal("length", final.GetProperty("finish_reason").GetString());
        Assert.Equal(expected, final.GetProperty("text").GetString());
        Assert.Equal(expected, string.Concat(lines.Where(l => l.TryGetProperty("token_id", out _)).Select(l => l.GetProperty("text").GetString())));
        Assert.Equal(prompt.Length, final.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(12, final.GetProperty("completion_tokens").GetInt32());
    }

    /// <summary>Runs one room by hand (prefill and decode POSTs at once, as the router does); returns the decode body.</summary>
    private static async Task<string> DecodeDirectAsync(RouterCluster cluster, long room, string decodeBody, string contentType)
    {
        int[] prompt = JsonDocument.Parse(decodeBody).RootElement.GetProperty("prompt_tokens").Deserialize<int[]>()!;
        var prefill = cluster.Prefill!.PostJsonAsync("/internal/disaggregation/prefill", JsonSerializer.Serialize(new { bootstrap_room = room, prompt_tokens = prompt }));
        using var resp = await cluster.Decode!.PostJsonAsync("/internal/disaggregation/decode", decodeBody);
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.Equal(contentType, resp.Content.Headers.ContentType?.MediaType);
        using var done = await prefill;
        Assert.True(done.IsSuccessStatusCode, await done.Content.ReadAsStringAsync());
        return body;
    }

    [Fact]
    public async Task A_client_that_goes_away_frees_the_decode_workers_request()
    {
        // The stub prefill worker never registers the room: the real decode worker waits in the bootstrap lookup.
        await using var prefill = await StubWorker.StartAsync(_ => Task.CompletedTask);
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: prefill.BaseUrl, bootstrapTimeout: TimeSpan.FromMinutes(5));
        var decode = DisaggregationWorker.For(cluster.Decode!.App.State, ServeRole.Decode).Decode!;
        using var cts = new CancellationTokenSource();
        var body = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 16, temperature = 0, stream = true });
        var request = cluster.Router.PostJsonAsync("/v1/completions", body, cts.Token);
        await WaitUntilAsync(() => decode.ActiveRooms == 1);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await WaitUntilAsync(() => decode.ActiveRooms == 0);
        Assert.Equal(0, decode.Engine.GetStatus().Running);
    }

    internal static async Task<List<JsonElement>> PayloadsAsync(LiveServer server, string path, string body)
    {
        using var resp = await server.PostJsonAsync(path, body);
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, text);
        Assert.Equal("[DONE]", Sse.DataLines(text)[^1]);
        return Sse.Payloads(text);
    }

    private static async Task<JsonElement> JsonAsync(LiveServer server, string path, string body)
    {
        using var resp = await server.PostJsonAsync(path, body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static void AssertSame(List<JsonElement> expected, List<JsonElement> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {expected.Count} chunks co-located, {actual.Count} through the router");
        for (int i = 0; i < expected.Count; i++)
        {
            AssertClose(expected[i], actual[i], $"{what}[{i}]");
        }
    }

    /// <summary>Same JSON apart from <see cref="Unstable"/> fields; numbers (logprobs) within 1e-3, all text exact.</summary>
    private static void AssertClose(JsonElement expected, JsonElement actual, string path)
    {
        Assert.True(expected.ValueKind == actual.ValueKind, $"{path}: {expected} vs {actual}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var names = expected.EnumerateObject().Select(p => p.Name).Where(n => !Unstable.Contains(n)).Order().ToList();
                Assert.Equal(names, actual.EnumerateObject().Select(p => p.Name).Where(n => !Unstable.Contains(n)).Order().ToList());
                foreach (string n in names)
                {
                    AssertClose(expected.GetProperty(n), actual.GetProperty(n), $"{path}.{n}");
                }

                break;
            case JsonValueKind.Array:
                Assert.True(expected.GetArrayLength() == actual.GetArrayLength(), $"{path}: {expected} vs {actual}");
                for (int i = 0; i < expected.GetArrayLength(); i++)
                {
                    AssertClose(expected[i], actual[i], $"{path}[{i}]");
                }

                break;
            case JsonValueKind.Number:
                double a = expected.GetDouble(), b = actual.GetDouble();
                Assert.True(Math.Abs(a - b) <= 1e-3 * Math.Max(1, Math.Abs(a)), $"{path}: {a} vs {b}");
                break;
            default:
                Assert.True(expected.GetRawText() == actual.GetRawText(), $"{path}: {expected.GetRawText()} vs {actual.GetRawText()}");
                break;
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        // A bound so a bug fails the test instead of hanging it; not a timing assertion.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "condition not reached");
            await Task.Delay(5);
        }
    }
}
