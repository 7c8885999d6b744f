using System.Text;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// gpt-oss's harmony format over HTTP, with the real gpt-oss template (a <see cref="TemplateBackend"/> whose scripted
/// reply is what the model writes after <c>&lt;|start|&gt;assistant</c>): the final channel is the message's content, the
/// analysis channel its <c>reasoning_content</c> (the field DeepSeek's API, vLLM and llama.cpp's server use), a
/// commentary message to functions.NAME a tool call — with or without tools in the request, streamed or not. Streamed,
/// reasoning arrives as reasoning_content deltas before the content, and no delta carries harmony markup.
/// </summary>
public sealed class HarmonyChatTests
{
    private const string Tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";

    private const string Answer = "<|channel|>analysis<|message|>The user greets me. Reply kindly.<|end|><|start|>assistant<|channel|>final<|message|>Hello! How can I help?";

    private const string CallReply = "<|channel|>analysis<|message|>Need the weather tool.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Rome\"}";

    private static ChatTemplate Template() =>
        ChatTemplate.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "CyLlm.ChatTemplates.Tests", "TestData", "corpus", "openai-gpt-oss-120b.jinja")));

    private static async Task<(TemplateBackend Backend, HttpResponseMessage Response, string Body)> PostAsync(string reply, string extra, string messages = "[{\"role\":\"developer\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi\"}]")
    {
        var backend = new TemplateBackend(new FakeBackend { Reply = reply }, Template());
        await using var server = await LiveServer.StartAsync(new CyLlm.Gateway.GatewayOptions { BackendFactory = () => backend });
        var resp = await server.PostJsonAsync("/v1/chat/completions", "{\"messages\":" + messages + ",\"max_tokens\":64" + extra + "}");
        return (backend, resp, await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_final_channel_is_content_and_the_analysis_channel_is_reasoning_content()
    {
        var (backend, resp, body) = await PostAsync(Answer, "");
        Assert.True(resp.IsSuccessStatusCode, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        var message = choice.GetProperty("message");
        Assert.Equal("Hello! How can I help?", message.GetProperty("content").GetString());
        Assert.Equal("The user greets me. Reply kindly.", message.GetProperty("reasoning_content").GetString());
        Assert.False(message.TryGetProperty("tool_calls", out _));
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        // The channel markup is made of control tokens: they must be rendered for the parser to see them.
        Assert.True(backend.Inner.LastRequest!.Sampling.RenderSpecialTokens);
        // developer is passed as system, which the template turns into the developer message's instructions.
        Assert.Contains("<|start|>developer<|message|># Instructions\n\nBe kind.\n\n<|end|><|start|>user<|message|>Hi<|end|><|start|>assistant", backend.LastPrompt, StringComparison.Ordinal);
        Assert.EndsWith("<|start|>assistant", backend.LastPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_without_channels_has_no_reasoning_content_field()
    {
        var (_, resp, body) = await PostAsync("<|channel|>final<|message|>Just this.", "");
        Assert.True(resp.IsSuccessStatusCode, body);
        var message = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("Just this.", message.GetProperty("content").GetString());
        Assert.False(message.TryGetProperty("reasoning_content", out _));
    }

    [Fact]
    public async Task A_commentary_message_to_a_function_is_a_tool_call_beside_the_reasoning()
    {
        string roundTrip = "[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}," +
            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}," +
            "{\"role\":\"tool\",\"tool_call_id\":\"call_Ab3dE5gH7jK9mN1pQ3sT5vX7\",\"content\":\"sunny\"}," +
            "{\"role\":\"user\",\"content\":\"And Rome?\"}]";
        var (backend, resp, body) = await PostAsync(CallReply, ",\"tools\":" + Tools, roundTrip);
        Assert.True(resp.IsSuccessStatusCode, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal("Need the weather tool.", message.GetProperty("reasoning_content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray()).GetProperty("function");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("{\"city\": \"Rome\"}", call.GetProperty("arguments").GetString());
        // The earlier call and its result, as harmony messages.
        Assert.Contains(
            "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"city\": \"Paris\"}<|call|><|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>\"sunny\"<|end|>",
            backend.LastPrompt, StringComparison.Ordinal);
        Assert.Contains("type get_weather = (_: {\ncity?: string,\n}) => any;", backend.LastPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_tools_a_call_the_model_writes_anyway_is_content()
    {
        var (_, resp, body) = await PostAsync(CallReply, "");
        Assert.True(resp.IsSuccessStatusCode, body);
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal("{\"city\": \"Rome\"}", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("Need the weather tool.", choice.GetProperty("message").GetProperty("reasoning_content").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Streamed_reasoning_comes_as_reasoning_content_deltas_before_the_content(bool tools)
    {
        var (_, resp, body) = await PostAsync(tools ? CallReply : Answer, ",\"stream\":true" + (tools ? ",\"tools\":" + Tools : ""));
        Assert.True(resp.IsSuccessStatusCode, body);
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        var order = new List<char>();
        string? finish = null;
        string? callName = null, callArgs = null;
        foreach (var p in Sse.Payloads(body))
        {
            var choice = p.GetProperty("choices")[0];
            var delta = choice.GetProperty("delta");
            if (delta.TryGetProperty("reasoning_content", out var r))
            {
                reasoning.Append(r.GetString());
                order.Add('r');
            }

            if (delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String && c.GetString()!.Length > 0)
            {
                content.Append(c.GetString());
                order.Add('c');
            }

            if (delta.TryGetProperty("tool_calls", out var calls))
            {
                var f = calls[0].GetProperty("function");
                callName ??= f.TryGetProperty("name", out var n) ? n.GetString() : null;
                callArgs = f.TryGetProperty("arguments", out var a) && a.GetString()!.Length > 0 ? a.GetString() : callArgs;
                order.Add('t');
            }

            foreach (string text in new[] { reasoning.ToString(), content.ToString() })
            {
                Assert.DoesNotContain("<|", text, StringComparison.Ordinal);
            }

            if (choice.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String)
            {
                finish = fr.GetString();
            }
        }

        if (tools)
        {
            Assert.Equal("Need the weather tool.", reasoning.ToString());
            Assert.Equal("", content.ToString());
            Assert.Equal(("get_weather", "{\"city\": \"Rome\"}"), (callName, callArgs));
            Assert.Equal("tool_calls", finish);
        }
        else
        {
            Assert.Equal("The user greets me. Reply kindly.", reasoning.ToString());
            Assert.Equal("Hello! How can I help?", content.ToString());
            Assert.Equal("stop", finish);
        }

        // Every reasoning delta precedes the first content or call delta.
        Assert.True(order.Count > 2);
        Assert.DoesNotContain('r', order.SkipWhile(x => x == 'r'));
    }
}
