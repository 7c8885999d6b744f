using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// Tool calling on /v1/chat/completions over a fake backend whose reply is scripted (a random-weights model never
/// writes a tool call): request validation, the conversation the template receives (the fake backend's template
/// knows no tools, so the Hermes fallback), and the reply shaped into tool_calls — checked as raw JSON/SSE and
/// through the official OpenAI .NET SDK.
/// </summary>
public sealed class ToolCallingTests(FakeServerFixture fx) : IClassFixture<FakeServerFixture>
{
    private const string Chat = "/v1/chat/completions";

    private const string WeatherTool = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}";

    private const string TimeTool = "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\"}}}";

    private const string TwoCalls =
        "I will check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n" +
        "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"Europe/Paris\"}}\n</tool_call>";

    private const string OneCall = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

    private static string Body(string extra, string messages = "[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]") =>
        "{\"messages\":" + messages + ",\"max_tokens\":64" + extra + "}";

    private ChatClient Client() => new("fake", new ApiKeyCredential("x"), new OpenAIClientOptions
    {
        Endpoint = new Uri(fx.Server.BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });

    private static ChatCompletionOptions SdkOptions()
    {
        var o = new ChatCompletionOptions();
        o.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Weather in a city", BinaryData.FromString("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}")));
        o.Tools.Add(ChatTool.CreateFunctionTool("get_time", "Local time", BinaryData.FromString("{\"type\":\"object\"}")));
        return o;
    }

    [Theory]
    [InlineData(",\"tools\":{}", "tools")]
    [InlineData(",\"tools\":[]", "tools")]
    [InlineData(",\"tools\":[7]", "tools[0]")]
    [InlineData(",\"tools\":[{\"type\":\"retrieval\"}]", "tools[0].type")]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"bad name\"}}]", "tools[0].function.name")]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + "n123456789n123456789n123456789n123456789n123456789n123456789xxxxx" + "\"}}]", "tools[0].function.name")]
    [InlineData(",\"tools\":[" + WeatherTool + "," + WeatherTool + "]", "tools[1].function.name")]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"{}\"}}]", "tools[0].function.parameters")]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"returns\":{}}}]", "tools[0].function.returns")]
    [InlineData(",\"tools\":[" + WeatherTool + "],\"tool_choice\":\"sometimes\"", "tool_choice")]
    [InlineData(",\"tools\":[" + WeatherTool + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}", "tool_choice.function.name")]
    [InlineData(",\"tools\":[" + WeatherTool + "],\"tool_choice\":{\"type\":\"function\"}", "tool_choice.function")]
    [InlineData(",\"tool_choice\":\"required\"", "tool_choice")]
    [InlineData(",\"parallel_tool_calls\":false", "parallel_tool_calls")]
    public async Task Bad_tool_fields_are_400_naming_the_field(string extra, string param)
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(extra));
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
    }

    [Theory]
    [InlineData("[{\"role\":\"tool\",\"content\":\"x\"}]", "messages[0].tool_call_id")]
    [InlineData("[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"x\"}]", "messages[1].tool_call_id")]
    [InlineData("[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"x\"}]", "messages[2].tool_call_id")]
    [InlineData("[{\"role\":\"user\",\"content\":\"q\",\"tool_calls\":[]}]", "messages[0].tool_calls")]
    [InlineData("[{\"role\":\"user\",\"content\":\"q\",\"tool_call_id\":\"a\"}]", "messages[0].tool_call_id")]
    [InlineData("[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]", "messages[0].tool_calls[0].id")]
    [InlineData("[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}]", "messages[0].tool_calls")]
    [InlineData("[{\"role\":\"assistant\",\"content\":null}]", "messages[0].content")]
    public async Task Bad_tool_messages_are_400_naming_the_field(string messages, string param)
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, Body("", messages));
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
    }

    [Fact]
    public async Task A_tool_round_trip_renders_calls_and_results_and_answers_200()
    {
        fx.Backend.Reply = "It is sunny in Paris.";
        string messages = "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Weather in Paris?\"}," +
            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}," +
            "{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":\"sunny\"}]";
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "]", messages));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("It is sunny in Paris.", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));

        // The fake template knows no tools: the Hermes fallback folded tools, the call and its result into plain turns.
        var seen = fx.Backend.LastMessages!;
        Assert.Equal(["system", "user", "assistant", "user"], seen.Select(m => m.Role));
        Assert.StartsWith("Be brief.\n\n# Tools\n", seen[0].Content, StringComparison.Ordinal);
        Assert.Contains("{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather in a city\"", seen[0].Content, StringComparison.Ordinal);
        Assert.Equal("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call>", seen[2].Content);
        Assert.Equal("<tool_response>\nsunny\n</tool_response>", seen[3].Content);
    }

    [Fact]
    public async Task A_reply_with_calls_becomes_tool_calls_with_null_content()
    {
        fx.Backend.Reply = OneCall;
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "]"));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Matches("^call_[A-Za-z0-9]{24}$", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"city\": \"Paris\"}", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void The_sdk_reads_parallel_calls_and_the_content_before_them()
    {
        fx.Backend.Reply = TwoCalls;
        var completion = Client().CompleteChat([new UserChatMessage("Weather and time in Paris?")], SdkOptions()).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("I will check both.", Assert.Single(completion.Content).Text);
        Assert.Equal(["get_weather", "get_time"], completion.ToolCalls.Select(c => c.FunctionName));
        Assert.Equal("{\"zone\": \"Europe/Paris\"}", completion.ToolCalls[1].FunctionArguments.ToString());
        Assert.NotEqual(completion.ToolCalls[0].Id, completion.ToolCalls[1].Id);
    }

    [Fact]
    public void The_sdk_assembles_streamed_calls()
    {
        fx.Backend.Reply = TwoCalls;
        var content = new StringBuilder();
        var names = new Dictionary<int, string>();
        var ids = new Dictionary<int, string>();
        var args = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        foreach (var u in Client().CompleteChatStreaming([new UserChatMessage("Weather and time in Paris?")], SdkOptions()))
        {
            foreach (var part in u.ContentUpdate)
            {
                content.Append(part.Text);
            }

            foreach (var t in u.ToolCallUpdates)
            {
                if (t.ToolCallId is not null)
                {
                    ids[t.Index] = t.ToolCallId;
                    names[t.Index] = t.FunctionName;
                }

                (args.TryGetValue(t.Index, out var sb) ? sb : args[t.Index] = new StringBuilder()).Append(t.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= u.FinishReason;
        }

        Assert.Equal("I will check both.", content.ToString());
        Assert.Equal("get_weather", names[0]);
        Assert.Equal("get_time", names[1]);
        Assert.Equal("{\"city\": \"Paris\"}", args[0].ToString());
        Assert.Equal("{\"zone\": \"Europe/Paris\"}", args[1].ToString());
        Assert.All(ids.Values, id => Assert.Matches("^call_[A-Za-z0-9]{24}$", id));
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task Streamed_calls_have_openai_chunk_shapes_and_no_markup_in_content()
    {
        fx.Backend.Reply = TwoCalls;
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"stream\":true,\"tools\":[" + WeatherTool + "," + TimeTool + "]"));
        var payloads = Sse.Payloads(await resp.Content.ReadAsStringAsync());
        var deltas = payloads.Select(p => p.GetProperty("choices")[0].GetProperty("delta")).ToList();
        foreach (var d in deltas)
        {
            if (d.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            {
                Assert.DoesNotContain("<", c.GetString(), StringComparison.Ordinal);
                Assert.DoesNotContain("name", c.GetString(), StringComparison.Ordinal);
            }
        }

        var toolDeltas = deltas.Where(d => d.TryGetProperty("tool_calls", out _)).Select(d => Assert.Single(d.GetProperty("tool_calls").EnumerateArray())).ToList();
        Assert.Equal(4, toolDeltas.Count);
        Assert.Equal(
            "{\"index\":0,\"id\":\"ID\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}",
            toolDeltas[0].GetRawText().Replace(toolDeltas[0].GetProperty("id").GetString()!, "ID", StringComparison.Ordinal));
        Assert.Equal("{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}", toolDeltas[1].GetRawText());
        Assert.Equal(1, toolDeltas[2].GetProperty("index").GetInt32());
        Assert.Equal("get_time", toolDeltas[2].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("tool_calls", payloads[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Parallel_tool_calls_false_keeps_only_the_first_call(bool stream)
    {
        fx.Backend.Reply = TwoCalls;
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"parallel_tool_calls\":false,\"stream\":" + (stream ? "true" : "false") + ",\"tools\":[" + WeatherTool + "," + TimeTool + "]"));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        if (stream)
        {
            var names = Sse.Payloads(body).Select(p => p.GetProperty("choices")).Where(c => c.GetArrayLength() > 0)
                .Select(c => c[0].GetProperty("delta")).Where(d => d.TryGetProperty("tool_calls", out _))
                .Select(d => d.GetProperty("tool_calls")[0]).Where(t => t.GetProperty("function").TryGetProperty("name", out _))
                .Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
            Assert.Equal(["get_weather"], names);
        }
        else
        {
            var calls = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls");
            Assert.Equal("get_weather", Assert.Single(calls.EnumerateArray()).GetProperty("function").GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Tool_choice_none_leaves_the_reply_as_content()
    {
        fx.Backend.Reply = OneCall;
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tool_choice\":\"none\",\"tools\":[" + WeatherTool + "]"));
        var choice = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0];
        Assert.Equal(OneCall, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Malformed_call_text_is_returned_as_content()
    {
        const string Bad = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {city: Paris}}\n</tool_call>";
        fx.Backend.Reply = Bad;
        foreach (bool stream in new[] { false, true })
        {
            using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"stream\":" + (stream ? "true" : "false") + ",\"tools\":[" + WeatherTool + "]"));
            string body = await resp.Content.ReadAsStringAsync();
            Assert.True(resp.IsSuccessStatusCode, body);
            if (stream)
            {
                var payloads = Sse.Payloads(body);
                string text = string.Concat(payloads.Select(p => p.GetProperty("choices")[0].GetProperty("delta")).Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()));
                Assert.Equal(Bad, text);
                Assert.Equal("stop", payloads[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
            }
            else
            {
                var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
                Assert.Equal(Bad, choice.GetProperty("message").GetProperty("content").GetString());
                Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
            }
        }
    }

    [Fact]
    public async Task A_named_tool_choice_constrains_the_reply_to_that_call_by_grammar()
    {
        // The fake backend does not sample, so it cannot show the constraint working (ForcedToolCallTests does, on a
        // real model); here: the prompt ends at the generation prompt, the request carries the grammar, and the call
        // the model writes is shaped like any other.
        fx.Backend.Reply = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>";
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "," + TimeTool + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.NotNull(fx.Backend.LastRequest!.Sampling.Grammar);
        string prompt = fx.Backend.Decode(fx.Backend.LastRequest.PromptTokens!.ToArray());
        Assert.DoesNotContain("<tool_call>\n{\"name\"", prompt[^40..], StringComparison.Ordinal);
        var call = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"city\": \"Rome\"}", call.GetProperty("function").GetProperty("arguments").GetString());
    }

    [Fact]
    public async Task Required_and_auto_tool_choice_carry_a_grammar_only_when_a_call_is_forced()
    {
        fx.Backend.Reply = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
        using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "," + TimeTool + "],\"tool_choice\":\"required\""));
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, body);
        Assert.NotNull(fx.Backend.LastRequest!.Sampling.Grammar);
        var call = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("get_time", call.GetProperty("function").GetProperty("name").GetString());

        using var auto = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "],\"tool_choice\":\"auto\""));
        Assert.True(auto.IsSuccessStatusCode, await auto.Content.ReadAsStringAsync());
        Assert.Null(fx.Backend.LastRequest!.Sampling.Grammar);
    }

    [Fact]
    public void The_sdk_named_choice_and_no_parallel_calls_are_accepted_and_honoured()
    {
        fx.Backend.Reply = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>";
        var options = SdkOptions();
        options.ToolChoice = ChatToolChoice.CreateFunctionChoice("get_time");
        options.AllowParallelToolCalls = false;
        var completion = Client().CompleteChat([new UserChatMessage("Time?")], options).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal(("get_time", "{\"zone\": \"UTC\"}"), (call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Empty(completion.Content);
    }

    [Fact]
    public async Task A_reply_cut_off_after_a_call_says_length_and_keeps_the_half_written_call_as_content()
    {
        const string Partial = "\n<tool_call>\n{\"name\": \"get_ti";
        fx.Backend.Reply = OneCall + Partial;
        fx.Backend.ReplyFinish = CyLlm.Engine.Generation.FinishReason.Length;
        try
        {
            using var resp = await fx.Server.PostJsonAsync(Chat, Body(",\"tools\":[" + WeatherTool + "," + TimeTool + "]"));
            string body = await resp.Content.ReadAsStringAsync();
            Assert.True(resp.IsSuccessStatusCode, body);
            var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
            Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
            var call = Assert.Single(choice.GetProperty("message").GetProperty("tool_calls").EnumerateArray());
            Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
            Assert.Contains("get_ti", choice.GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);

            // Streamed: the complete call as deltas, the rest as content, and the same finish_reason.
            using var sresp = await fx.Server.PostJsonAsync(Chat, Body(",\"stream\":true,\"tools\":[" + WeatherTool + "," + TimeTool + "]"));
            var chunks = Sse.Payloads(await sresp.Content.ReadAsStringAsync()).SelectMany(p => p.GetProperty("choices").EnumerateArray()).ToList();
            Assert.Equal("length", chunks.Select(c => c.GetProperty("finish_reason")).Last(f => f.ValueKind == JsonValueKind.String).GetString());
            Assert.Contains(chunks, c => c.GetProperty("delta").TryGetProperty("tool_calls", out _));
        }
        finally
        {
            fx.Backend.ReplyFinish = CyLlm.Engine.Generation.FinishReason.Stop;
        }
    }
}
