using System.Text;
using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// /v1/completions with <c>n</c>, <c>best_of</c> and <c>echo</c> (+ <c>logprobs</c>, <c>max_tokens: 0</c>): the
/// requests lm-evaluation-harness and multi-sample clients send.
/// </summary>
// Its own server: its prompts would otherwise fill the shared server's prefix cache under tests that expect none.
public sealed class CompletionsChoicesTests(StoriesServerFixture fx) : IClassFixture<StoriesServerFixture>
{
    [Fact]
    public async Task N_three_returns_three_indexed_choices_each_equal_to_a_lone_request_seeded_seed_plus_i()
    {
        var many = await CompleteAsync(new { prompt = "Once upon a time", max_tokens = 12, temperature = 0.9, seed = 40, n = 3 });
        var choices = many.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        int completion = 0;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, choices[i].GetProperty("index").GetInt32());
            var alone = await CompleteAsync(new { prompt = "Once upon a time", max_tokens = 12, temperature = 0.9, seed = 40 + i });
            Assert.Equal(alone.GetProperty("choices")[0].GetProperty("text").GetString(), choices[i].GetProperty("text").GetString());
            completion += alone.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        }

        var usage = many.GetProperty("usage");
        Assert.Equal(completion, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(fx.Engine.Encode("Once upon a time").Length, usage.GetProperty("prompt_tokens").GetInt32()); // the prompt once
    }

    [Fact]
    public async Task Streamed_n_choices_assemble_to_the_non_streamed_ones_with_one_usage_chunk()
    {
        var full = await CompleteAsync(new { prompt = "Lily", max_tokens = 10, temperature = 0.8, seed = 9, n = 2 });
        using var resp = await fx.Server.PostJsonAsync("/v1/completions",
            JsonSerializer.Serialize(new { prompt = "Lily", max_tokens = 10, temperature = 0.8, seed = 9, n = 2, stream = true, stream_options = new { include_usage = true } }));
        string body = await resp.Content.ReadAsStringAsync();
        var texts = new[] { new StringBuilder(), new StringBuilder() };
        int usageChunks = 0, finishes = 0;
        foreach (var p in Sse.Payloads(body))
        {
            var ch = p.GetProperty("choices");
            if (ch.GetArrayLength() == 0)
            {
                usageChunks++;
                Assert.Equal(full.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), p.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
                continue;
            }

            var c = ch[0];
            texts[c.GetProperty("index").GetInt32()].Append(c.GetProperty("text").GetString());
            finishes += c.GetProperty("finish_reason").ValueKind == JsonValueKind.String ? 1 : 0;
        }

        Assert.Equal(1, usageChunks);
        Assert.Equal(2, finishes);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(full.GetProperty("choices")[i].GetProperty("text").GetString(), texts[i].ToString());
        }
    }

    [Fact]
    public async Task Echo_with_logprobs_and_max_tokens_zero_scores_the_prompt_as_a_forward_pass_does()
    {
        const string prompt = "Once upon a time, there was a little girl";
        var r = await CompleteAsync(new { prompt, max_tokens = 0, echo = true, logprobs = 2, temperature = 0 });
        var choice = r.GetProperty("choices")[0];
        Assert.Equal(prompt, choice.GetProperty("text").GetString());
        var lp = choice.GetProperty("logprobs");
        int[] ids = fx.Engine.Encode(prompt);
        var tokenLogprobs = lp.GetProperty("token_logprobs");
        Assert.Equal(ids.Length, tokenLogprobs.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, tokenLogprobs[0].ValueKind);
        Assert.Equal(0, r.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // The reference: the engine's own logprob for prompt token p + 1 when it samples after prompt[..p+1].
        for (int p = 1; p < ids.Length - 1; p += 3)
        {
            var reference = fx.Engine.Generate(new GenerationRequest
            {
                PromptTokens = ids[..(p + 1)],
                Sampling = new SamplingParams { Temperature = 0, MaxTokens = 1, Logprobs = true, TopLogprobs = 20, IgnoreEos = true },
            });
            var top = reference.Samples[0].TopLogprobs!;
            int at = Array.FindIndex(top, t => t.TokenId == ids[p + 1]);
            if (at < 0)
            {
                continue; // outside the reference's top 20: nothing to compare against at this position
            }

            Assert.True(Math.Abs(top[at].Logprob - tokenLogprobs[p + 1].GetSingle()) < 1e-3, $"position {p + 1}: {tokenLogprobs[p + 1]} vs {top[at].Logprob}");
        }

        var echoed = await CompleteAsync(new { prompt, max_tokens = 5, echo = true, temperature = 0 });
        var plain = await CompleteAsync(new { prompt, max_tokens = 5, temperature = 0 });
        Assert.Equal(prompt + plain.GetProperty("choices")[0].GetProperty("text").GetString(), echoed.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(5, 1)]
    [InlineData(5, 2)]
    public async Task Streamed_echo_with_logprobs_assembles_to_the_non_streamed_answer(int maxTokens, int n)
    {
        const string prompt = "Once upon a time, there was a little girl";
        var request = new { prompt, max_tokens = maxTokens, echo = true, logprobs = 2, temperature = n == 1 ? 0 : 0.8, seed = 21, n };
        var full = await CompleteAsync(request);
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new
        {
            request.prompt,
            request.max_tokens,
            request.echo,
            request.logprobs,
            request.temperature,
            request.seed,
            request.n,
            stream = true,
        }));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        var text = new StringBuilder[n];
        var lists = new List<string>[n, 4];
        var firstChunk = new bool[n];
        string[] fields = ["tokens", "token_logprobs", "top_logprobs", "text_offset"];
        for (int i = 0; i < n; i++)
        {
            text[i] = new StringBuilder();
            for (int f = 0; f < 4; f++)
            {
                lists[i, f] = [];
            }
        }

        foreach (var p in Sse.Payloads(body))
        {
            var c = p.GetProperty("choices")[0];
            int i = c.GetProperty("index").GetInt32();
            if (!firstChunk[i])
            {
                // The first chunk of each choice is the whole prompt, its first token's logprob null.
                firstChunk[i] = true;
                Assert.Equal(prompt, c.GetProperty("text").GetString());
                Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").GetProperty("token_logprobs")[0].ValueKind);
                Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").GetProperty("top_logprobs")[0].ValueKind);
            }

            text[i].Append(c.GetProperty("text").GetString());
            if (c.GetProperty("logprobs") is { ValueKind: JsonValueKind.Object } lp)
            {
                for (int f = 0; f < 4; f++)
                {
                    lists[i, f].AddRange(lp.GetProperty(fields[f]).EnumerateArray().Select(e => e.GetRawText()));
                }
            }
        }

        for (int i = 0; i < n; i++)
        {
            var expected = full.GetProperty("choices")[i];
            Assert.Equal(expected.GetProperty("text").GetString(), text[i].ToString());
            for (int f = 0; f < 4; f++)
            {
                Assert.Equal(expected.GetProperty("logprobs").GetProperty(fields[f]).GetRawText(), "[" + string.Join(",", lists[i, f]) + "]");
            }
        }

        Assert.True(firstChunk.All(x => x));
        if (maxTokens == 0)
        {
            Assert.Equal(prompt, text[0].ToString());
        }
    }

    [Fact]
    public async Task Best_of_returns_the_candidate_with_the_best_mean_logprob()
    {
        var best = await CompleteAsync(new { prompt = "The dog", max_tokens = 8, temperature = 1.0, seed = 5, best_of = 3 });
        Assert.Equal(1, best.GetProperty("choices").GetArrayLength());
        var candidates = await CompleteAsync(new { prompt = "The dog", max_tokens = 8, temperature = 1.0, seed = 5, n = 3, logprobs = 0 });
        string? winner = null;
        double bestMean = double.NegativeInfinity;
        foreach (var c in candidates.GetProperty("choices").EnumerateArray())
        {
            double mean = c.GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray().Average(x => x.GetDouble());
            if (mean > bestMean)
            {
                bestMean = mean;
                winner = c.GetProperty("text").GetString();
            }
        }

        Assert.Equal(winner, best.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("\"n\":17", "n")]
    [InlineData("\"best_of\":2,\"n\":3", "best_of")]
    [InlineData("\"best_of\":3,\"stream\":true", "best_of")]
    [InlineData("\"max_tokens\":0", "max_tokens")]
    public async Task Choice_and_echo_limits_are_400s_naming_the_field(string fields, string param)
    {
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", "{\"prompt\":\"Once\"," + fields + "}");
        string json = await resp.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)resp.StatusCode);
        Assert.Equal(param, JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    private async Task<JsonElement> CompleteAsync(object request)
    {
        using var resp = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(request));
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}

/// <summary><c>n</c> on /v1/chat/completions, streamed and not.</summary>
// Its own server: its prompts would otherwise fill the shared server's prefix cache under tests that expect none.
public sealed class ChatChoicesTests(StoriesServerFixture fx) : IClassFixture<StoriesServerFixture>
{
    [Fact]
    public async Task Chat_n_three_streamed_and_not_give_the_same_three_choices()
    {
        var request = new { model = fx.ModelId, messages = new[] { new { role = "user", content = "Tell me a story" } }, max_tokens = 10, temperature = 0.9, seed = 77, n = 3 };
        using var resp = await fx.Server.PostJsonAsync("/v1/chat/completions", JsonSerializer.Serialize(request));
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        var choices = JsonDocument.Parse(json).RootElement.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        Assert.Equal([0, 1, 2], choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()).ToArray());

        using var streamed = await fx.Server.PostJsonAsync("/v1/chat/completions", JsonSerializer.Serialize(new
        {
            request.model,
            request.messages,
            request.max_tokens,
            request.temperature,
            request.seed,
            request.n,
            stream = true,
        }));
        var texts = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder() };
        foreach (var p in Sse.Payloads(await streamed.Content.ReadAsStringAsync()))
        {
            foreach (var c in p.GetProperty("choices").EnumerateArray())
            {
                if (c.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    texts[c.GetProperty("index").GetInt32()].Append(content.GetString());
                }
            }
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(choices[i].GetProperty("message").GetProperty("content").GetString(), texts[i].ToString());
        }
    }
}
