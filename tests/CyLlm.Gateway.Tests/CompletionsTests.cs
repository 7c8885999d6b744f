using System.Text;
using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>POST /v1/completions (no client in the SDK: plain HTTP), greedy parity with the engine, streaming
/// and logprobs.</summary>
[Collection(StoriesCollection.Name)]
public sealed class CompletionsTests(StoriesServerFixture fx)
{
    [Theory]
    [InlineData("Once upon a time", 32)]
    [InlineData("The cat sat", 5)]
    [InlineData("", 12)]
    public async Task Greedy_completion_equals_engine_generate(string prompt, int maxTokens)
    {
        var body = JsonSerializer.Serialize(new { model = fx.ModelId, prompt, max_tokens = maxTokens, temperature = 0 });
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        var root = JsonDocument.Parse(json).RootElement;

        var expected = fx.Engine.Generate(new GenerationRequest { Prompt = prompt, Sampling = new SamplingParams { Temperature = 0, MaxTokens = maxTokens } });
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(expected.Text, choice.GetProperty("text").GetString());
        Assert.Equal(expected.FinishReason == FinishReason.Length ? "length" : "stop", choice.GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(expected.PromptTokenIds.Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.TokenIds.Length, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(expected.PromptTokenIds.Length + expected.TokenIds.Length, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Token_id_prompt_gives_the_same_text_as_the_string_prompt()
    {
        int[] ids = fx.Engine.Encode("Once upon a time");
        var a = await CompleteAsync(new { prompt = "Once upon a time", max_tokens = 10, temperature = 0 });
        var b = await CompleteAsync(new { prompt = ids, max_tokens = 10, temperature = 0 });
        Assert.Equal(a.GetProperty("choices")[0].GetProperty("text").GetString(), b.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Streaming_completion_matches_non_streaming_and_ends_with_usage_then_done()
    {
        var full = await CompleteAsync(new { prompt = "Lily", max_tokens = 20, temperature = 0 });
        using var resp = await fx.Server.PostJsonAsync("/v1/completions",
            JsonSerializer.Serialize(new { prompt = "Lily", max_tokens = 20, temperature = 0, stream = true, stream_options = new { include_usage = true } }));
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType?.MediaType);
        string body = await resp.Content.ReadAsStringAsync();
        var lines = Sse.DataLines(body);
        Assert.Equal("[DONE]", lines[^1]);
        var payloads = Sse.Payloads(body);
        var text = new StringBuilder();
        foreach (var p in payloads.Where(p => p.GetProperty("choices").GetArrayLength() > 0))
        {
            text.Append(p.GetProperty("choices")[0].GetProperty("text").GetString());
        }

        Assert.Equal(full.GetProperty("choices")[0].GetProperty("text").GetString(), text.ToString());
        var usageChunk = payloads[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(full.GetProperty("usage").GetProperty("total_tokens").GetInt32(), usageChunk.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        var finishChunk = payloads[^2];
        Assert.Equal(full.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), finishChunk.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Completion_logprobs_are_parallel_lists()
    {
        var root = await CompleteAsync(new { prompt = "Once", max_tokens = 6, temperature = 0, logprobs = 2 });
        var lp = root.GetProperty("choices")[0].GetProperty("logprobs");
        int n = root.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.Equal(n, lp.GetProperty("tokens").GetArrayLength());
        Assert.Equal(n, lp.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(n, lp.GetProperty("text_offset").GetArrayLength());
        var tops = lp.GetProperty("top_logprobs");
        Assert.Equal(n, tops.GetArrayLength());
        for (int i = 0; i < n; i++)
        {
            Assert.InRange(tops[i].EnumerateObject().Count(), 1, 2);
            Assert.True(lp.GetProperty("token_logprobs")[i].GetSingle() <= 0);
        }
    }

    [Fact]
    public async Task Stop_string_ends_the_completion_before_it()
    {
        var free = await CompleteAsync(new { prompt = "Once upon a time", max_tokens = 40, temperature = 0 });
        string text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.True(text.Length > 10, text);
        string stop = text.Substring(5, 3);
        var stopped = await CompleteAsync(new { prompt = "Once upon a time", max_tokens = 40, temperature = 0, stop });
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    private async Task<JsonElement> CompleteAsync(object request)
    {
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(request));
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}

/// <summary>Requests in flight together are batched by the serving engine and answer as they would alone.</summary>
[Collection(StoriesCollection.Name)]
public sealed class ConcurrencyTests(StoriesServerFixture fx)
{
    [Fact]
    public async Task Concurrent_greedy_completions_equal_their_single_runs()
    {
        string[] prompts = ["Once upon a time", "The little dog", "Lily and Tom", "One day", "The sun was", "She wanted", "Tim had", "The bird"];
        var expected = prompts.Select(p => fx.Engine.Generate(new GenerationRequest { Prompt = p, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 24 } }).Text).ToArray();
        var responses = await Task.WhenAll(prompts.Select(async p =>
        {
            using var resp = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { model = fx.ModelId, prompt = p, max_tokens = 24, temperature = 0 }));
            string json = await resp.Content.ReadAsStringAsync();
            Assert.True(resp.IsSuccessStatusCode, json);
            return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
        }));
        Assert.Equal(expected, responses);
    }
}
