using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Gateway.Workers;

namespace CyLlm.Gateway.Tests.Workers;

/// <summary>
/// A gateway with a <see cref="RemoteEngineBackend"/> in front of two in-process stories260K workers: greedy answers
/// through it equal a co-located server's, token for token and logprob for logprob (non-streaming and streaming), and
/// with a json_schema response_format; embeddings equal; a worker's refusal (an adapter it lacks) reaches the client
/// as its error object; /status lists the workers; all workers down is a 503 no_healthy_workers.
/// </summary>
public sealed class RemoteWorkerTests
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily. She liked to";

    [Fact]
    public async Task Greedy_answers_through_the_workers_equal_colocated_ones()
    {
        await using var cluster = await WorkerCluster.StartAsync();
        var reference = cluster.Workers[0];

        // Completions with logprobs (top 3), non-streaming: the whole choice is the same, logprobs included.
        string completion = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 24, temperature = 0, logprobs = 3 });
        var expected = await ChoiceAsync(reference, "/v1/completions", completion);
        var routed = await ChoiceAsync(cluster.Gateway, "/v1/completions", completion);
        Assert.Equal(expected.GetRawText(), routed.GetRawText());

        // Chat, streaming, with logprobs: the same text and the same per-token logprobs, in chunks as they came.
        string chat = JsonSerializer.Serialize(new
        {
            model = "stories260K",
            messages = new[] { new { role = "user", content = Prompt } },
            max_tokens = 20,
            temperature = 0,
            stream = true,
            logprobs = true,
            top_logprobs = 2,
        });
        Assert.Equal(await StreamedAsync(reference, chat), await StreamedAsync(cluster.Gateway, chat));

        // Structured output: the grammar travels by its source and the worker enforces it.
        string structured = JsonSerializer.Serialize(new
        {
            model = "stories260K",
            messages = new[] { new { role = "user", content = "Give me a name." } },
            max_tokens = 40,
            temperature = 0,
            response_format = new
            {
                type = "json_schema",
                json_schema = new
                {
                    name = "person",
                    schema = new { type = "object", properties = new { name = new { type = "string", maxLength = 8 } }, required = new[] { "name" }, additionalProperties = false },
                },
            },
        });
        var expectedJson = await ChoiceAsync(reference, "/v1/chat/completions", structured);
        var routedJson = await ChoiceAsync(cluster.Gateway, "/v1/chat/completions", structured);
        Assert.Equal(expectedJson.GetRawText(), routedJson.GetRawText());
        using (JsonDocument.Parse(routedJson.GetProperty("message").GetProperty("content").GetString()!))
        {
            // Valid JSON: the schema held.
        }

        // Stop strings and n travel too.
        string stopped = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 30, temperature = 0.8, seed = 7, n = 2, stop = new[] { "." } });
        Assert.Equal((await BodyAsync(reference, "/v1/completions", stopped)).GetProperty("choices").GetRawText(),
            (await BodyAsync(cluster.Gateway, "/v1/completions", stopped)).GetProperty("choices").GetRawText());

        // Embeddings are computed on a worker.
        string embed = JsonSerializer.Serialize(new { model = "stories260K", input = new[] { "a cat", "Lily and her dog" } });
        Assert.Equal((await BodyAsync(reference, "/v1/embeddings", embed)).GetProperty("data").GetRawText(),
            (await BodyAsync(cluster.Gateway, "/v1/embeddings", embed)).GetProperty("data").GetRawText());

        // /v1/models still lists the model; /status shows both workers up.
        Assert.Contains("stories260K", await cluster.Gateway.Http.GetStringAsync("/v1/models"));
        var status = JsonDocument.Parse(await cluster.Gateway.Http.GetStringAsync("/status")).RootElement;
        var workers = status.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal(cluster.Workers.Select(w => w.BaseUrl), workers.Select(w => w.GetProperty("url").GetString()));
        Assert.All(workers, w => Assert.Equal("up", w.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task A_workers_refusal_is_passed_on_and_no_live_worker_is_a_503()
    {
        await using var cluster = await WorkerCluster.StartAsync(workers: 1);

        // The worker has no such adapter: its 404 error object reaches the client (the gateway never loads adapters itself).
        var backend = cluster.Backend;
        var generation = backend.Start(new CyLlm.Engine.Generation.GenerationRequest { Prompt = Prompt, Adapter = "absent", Sampling = new() { MaxTokens = 4 } }, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<CyLlm.Gateway.Errors.ApiError>(() => generation.Completion);
        Assert.Equal(404, refused.Status);
        Assert.Equal("model_not_found", refused.Code);

        // Too long for the worker's context: the worker's 400 with its code and fix.
        string tooLong = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 100_000 });
        using (var resp = await cluster.Gateway.PostJsonAsync("/v1/completions", tooLong))
        {
            await ErrorAssert.IsAsync(resp, 400, "context_length_exceeded");
        }

        // The only worker stops: the next request finds it dead at once and there is none left.
        await cluster.Workers[0].DisposeAsync();
        string body = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 4 });
        using (var resp = await cluster.Gateway.PostJsonAsync("/v1/completions", body))
        {
            var error = await ErrorAssert.IsAsync(resp, 503, WorkerErrors.NoHealthyWorkers);
            Assert.Equal("1", resp.Headers.RetryAfter?.ToString());
            Assert.Contains("stories260K", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // Now it is marked down: refused before any work, for streaming requests too (an answer, not a stream event).
        Assert.False(cluster.Backend.Pool.Workers[0].IsUp);
        string streaming = JsonSerializer.Serialize(new { model = "stories260K", prompt = Prompt, max_tokens = 4, stream = true });
        using (var resp = await cluster.Gateway.PostJsonAsync("/v1/completions", streaming))
        {
            await ErrorAssert.IsAsync(resp, 503, WorkerErrors.NoHealthyWorkers);
        }

        var status = JsonDocument.Parse(await cluster.Gateway.Http.GetStringAsync("/status")).RootElement;
        Assert.Equal("down", status.GetProperty("workers")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_adapter_loaded_on_one_worker_is_listed_and_served_from_that_worker()
    {
        await using var cluster = await WorkerCluster.StartAsync();
        string dir = Directory.CreateTempSubdirectory("cyllm-worker-lora-").FullName;
        try
        {
            var holder = cluster.Workers[1];
            var engine = ((CyLlm.Gateway.Hosting.EngineBackend)holder.App.State.RequireBackend()).Engine;
            string peft = PeftWriter.Write(Path.Combine(dir, "peft"), engine.Config.Layers, engine.Config.Dim);
            using (var load = await holder.PostJsonAsync("/v1/load_lora_adapter", JsonSerializer.Serialize(new { lora_name = "pirate", lora_path = peft })))
            {
                Assert.True(load.IsSuccessStatusCode, await load.Content.ReadAsStringAsync());
            }

            // Listed by the gateway once a heartbeat reported it (500 ms polls; bounded wait, not a timing assertion).
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (!(await cluster.Gateway.Http.GetStringAsync("/v1/models")).Contains("pirate", StringComparison.Ordinal))
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the adapter never appeared in the gateway's /v1/models");
                await Task.Delay(50);
            }

            // Every prompt, whatever its affinity, goes to the worker holding the adapter and equals its own answer.
            for (int i = 0; i < 4; i++)
            {
                string body = JsonSerializer.Serialize(new { model = "pirate", prompt = $"{i}: {Prompt}", max_tokens = 12, temperature = 0 });
                Assert.Equal((await ChoiceAsync(holder, "/v1/completions", body)).GetRawText(), (await ChoiceAsync(cluster.Gateway, "/v1/completions", body)).GetRawText());
            }

            // Loading through the gateway is refused with the fix: adapters live on the workers.
            using var refused = await cluster.Gateway.PostJsonAsync("/v1/load_lora_adapter", JsonSerializer.Serialize(new { lora_name = "other", lora_path = peft }));
            await ErrorAssert.IsAsync(refused, 400, "invalid_request_error");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<JsonElement> BodyAsync(LiveServer server, string path, string body)
    {
        using var resp = await server.PostJsonAsync(path, body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static async Task<JsonElement> ChoiceAsync(LiveServer server, string path, string body) =>
        (await BodyAsync(server, path, body)).GetProperty("choices")[0];

    /// <summary>Each chunk's choices (content, logprobs, finish reason), without ids and timestamps.</summary>
    private static async Task<string> StreamedAsync(LiveServer server, string body)
    {
        using var resp = await server.PostJsonAsync("/v1/chat/completions", body);
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("[DONE]", Sse.DataLines(text)[^1]);
        return string.Join("\n", Sse.Payloads(text).Select(p => p.GetProperty("choices").GetRawText()));
    }
}
