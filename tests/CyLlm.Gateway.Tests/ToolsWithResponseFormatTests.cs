using System.Text;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Sampling.Grammars;
using CyLlm.Gateway.Endpoints.Chat;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// response_format together with tools: with tool_choice "auto" the reply is either a valid call or valid JSON (the
/// grammar is the alternation of both), with "none" only the JSON, with "required" or a named function only the call.
/// On stories260K, which knows nothing of tools or JSON, so every answer's validity comes from the grammar.
/// </summary>
// Its own server: its prompts would otherwise fill the shared server's prefix cache under tests that expect none.
public sealed class ToolsWithResponseFormatTests(StoriesServerFixture fx) : IClassFixture<StoriesServerFixture>
{
    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}}}]
        """;

    private const string Schema = """
        {"type":"object","properties":{"name":{"type":"string","maxLength":10},"pet":{"enum":["cat","dog"]}},"required":["name","pet"],"additionalProperties":false}
        """;

    private const string Format = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,\"schema\":" + Schema + "}}";

    private async Task<JsonElement> ChoiceAsync(string toolChoice, double temperature, int seed, string format = Format)
    {
        string body = $"{{\"model\":\"{fx.ModelId}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Once upon a time\"}}],\"tools\":{Tools},\"tool_choice\":{toolChoice},\"response_format\":{format},\"temperature\":{temperature},\"seed\":{seed},\"max_tokens\":150,\"parallel_tool_calls\":false}}";
        using var resp = await fx.Server.PostJsonAsync("/v1/chat/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].Clone();
    }

    private static void AssertValidCall(JsonElement choice)
    {
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        // The whole reply is the call: no text beside it.
        Assert.True(!choice.GetProperty("message").TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null, choice.GetRawText());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        var args = JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement;
        Assert.Equal(["city", "days"], args.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(args.GetProperty("city").GetString()!.Length, 0, 12);
        Assert.InRange(args.GetProperty("days").GetInt32(), 1, 7);
    }

    private static void AssertValidContent(JsonElement choice)
    {
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.False(message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array);
        var doc = JsonDocument.Parse(message.GetProperty("content").GetString()!).RootElement;
        Assert.Equal(["name", "pet"], doc.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.True(doc.GetProperty("name").GetString()!.Length <= 10);
        Assert.Contains(doc.GetProperty("pet").GetString(), new[] { "cat", "dog" });
    }

    [Fact]
    public async Task Auto_answers_are_a_valid_call_or_valid_json_and_both_occur()
    {
        int calls = 0;
        int texts = 0;
        foreach (var (temperature, seed) in new[] { (0.0, 0), (1.0, 1), (1.0, 2), (1.0, 3), (1.0, 4), (1.0, 5), (1.0, 6), (1.0, 7) })
        {
            var choice = await ChoiceAsync("\"auto\"", temperature, seed);
            if (choice.GetProperty("finish_reason").GetString() == "tool_calls")
            {
                AssertValidCall(choice);
                calls++;
            }
            else
            {
                AssertValidContent(choice);
                texts++;
            }
        }

        // Both branches of the alternation are reachable: the model is not kept from calling, nor made to.
        Assert.True(calls > 0 && texts > 0, $"{calls} calls, {texts} JSON answers");
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 1)]
    public async Task None_answers_are_the_json(double temperature, int seed)
    {
        AssertValidContent(await ChoiceAsync("\"none\"", temperature, seed));
    }

    [Theory]
    [InlineData("\"required\"", 0.0, 0)]
    [InlineData("\"required\"", 1.0, 1)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", 1.0, 2)]
    public async Task Forced_answers_are_the_call_whatever_the_response_format(string toolChoice, double temperature, int seed)
    {
        AssertValidCall(await ChoiceAsync(toolChoice, temperature, seed));
        AssertValidCall(await ChoiceAsync(toolChoice, temperature, seed, "{\"type\":\"json_object\"}"));
    }

    [Fact]
    public void The_auto_grammar_accepts_a_call_or_the_json_and_nothing_else()
    {
        var tools = new ChatToolSettings([new ChatTool("get_weather", Parameters: JsonDocument.Parse(Tools).RootElement[0].GetProperty("function").GetProperty("parameters"))], ToolChoice.Auto, false);
        var request = new GenerationRequest { Sampling = new SamplingParams { Grammar = Grammar.FromJsonSchema(JsonDocument.Parse(Schema).RootElement) } };
        var g = ChatHandler.ConstrainToolCalls(request, tools, ToolCallDialect.Fallback).Sampling.Grammar!;
        Assert.True(Matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 3}}\n</tool_call>"));
        Assert.True(Matches(g, "{\"name\": \"Lily\", \"pet\": \"cat\"}"));
        Assert.False(Matches(g, "{\"name\": \"Lily\", \"pet\": \"cow\"}"));
        Assert.False(Matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"days\": 9}}\n</tool_call>"));
        Assert.False(Matches(g, "Once upon a time"));

        // Without an output constraint auto stays free; with "none" the JSON grammar is left alone.
        Assert.Null(ChatHandler.ConstrainToolCalls(new GenerationRequest(), tools, ToolCallDialect.Fallback).Sampling.Grammar);
        var none = ChatHandler.ConstrainToolCalls(request, tools with { Choice = ToolChoice.None }, ToolCallDialect.Fallback).Sampling.Grammar!;
        Assert.Same(request.Sampling.Grammar, none);
    }

    private static bool Matches(Grammar g, string text)
    {
        var m = new GrammarMatcher(g, TokenVocabulary.Empty);
        return m.AcceptBytes(Encoding.UTF8.GetBytes(text)) && m.CanTerminate;
    }
}
