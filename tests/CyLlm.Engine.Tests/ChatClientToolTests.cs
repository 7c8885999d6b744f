using System.Text.Json;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Scheduling;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace CyLlm.Engine.Tests;

/// <summary>
/// Tool calling through the in-process IChatClient: function declarations, FunctionCallContent and
/// FunctionResultContent map to the template's tools, tool_calls and tool turns, and parsed calls come back as
/// FunctionCallContent — the contract FunctionInvokingChatClient relies on.
/// </summary>
public sealed class ChatClientToolTests
{
    private static readonly AIFunction Weather = AIFunctionFactory.Create((string city) => city == "Paris" ? "sunny" : "rainy", "get_weather", "Weather in a city");

    private static AiChatMessage[] RoundTrip() =>
    [
        new(ChatRole.User, "Weather in Paris?"),
        new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
        new(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny")]),
    ];

    [Fact]
    public void Calls_and_results_become_tool_calls_and_tool_turns()
    {
        var messages = ChatClientTools.Messages(RoundTrip());
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m.Role));
        var call = Assert.Single(messages[1].ToolCalls!);
        Assert.Equal(("call_1", "get_weather", "{\"city\":\"Paris\"}"), (call.Id, call.Name, call.Arguments));
        Assert.Equal("", messages[1].Content);
        Assert.Equal(("sunny", "call_1"), (messages[2].Content, messages[2].ToolCallId));
    }

    [Fact]
    public void Function_declarations_and_tool_modes_map_to_tools_and_choices()
    {
        var options = new ChatOptions { Tools = [Weather] };
        var tools = ChatClientTools.Tools(options);
        var tool = Assert.Single(tools);
        Assert.Equal(("get_weather", "Weather in a city"), (tool.Name, tool.Description));
        Assert.Equal("string", tool.Parameters!.Value.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal(ToolChoice.Auto, ChatClientTools.Choice(options, tools));
        Assert.Equal(ToolChoice.None, ChatClientTools.Choice(new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.None }, tools));
        Assert.Equal(ToolChoice.Required, ChatClientTools.Choice(new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireAny }, tools));
        Assert.Equal(new ToolChoice(ToolChoiceMode.Function, "get_weather"), ChatClientTools.Choice(new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireSpecific("get_weather") }, tools));
        Assert.Throws<ArgumentException>(() => ChatClientTools.Choice(new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireSpecific("other") }, tools));
    }

    [Fact]
    public async Task Parsed_calls_come_back_as_function_call_content_that_invokes()
    {
        var parser = new ToolCallParser(ToolCallFamily.Hermes);
        var contents = ChatClientTools.Contents([.. parser.Push("Checking.<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>"), .. parser.Finish()]);
        Assert.Equal("Checking.", Assert.IsType<TextContent>(contents[0]).Text);
        var call = Assert.IsType<FunctionCallContent>(contents[1]);
        Assert.Equal("get_weather", call.Name);
        Assert.StartsWith("call_", call.CallId, StringComparison.Ordinal);
        // What FunctionInvokingChatClient does with it: invoke the AIFunction with the decoded arguments.
        Assert.Equal("sunny", (await Weather.InvokeAsync(new AIFunctionArguments(call.Arguments)))?.ToString());
    }

    [Fact]
    public async Task A_round_trip_renders_through_the_engine_and_answers()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 1024 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        IChatClient client = new EngineChatClient(serving, "stories260K");
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8, Tools = [Weather] };
        var response = await client.GetResponseAsync(RoundTrip(), options);
        var rendered = ChatClientTools.Messages(RoundTrip());
        var tools = ChatClientTools.Tools(options);
        Assert.Equal(engine.EncodeChat(rendered, tools, "").Length, response.Usage!.InputTokenCount);
        string prompt = engine.RenderChat(rendered, tools);
        Assert.Contains("\"name\": \"get_weather\"", prompt, StringComparison.Ordinal);
        Assert.Contains("<tool_response>\nsunny\n</tool_response>", prompt, StringComparison.Ordinal);
        Assert.NotNull(response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_of_T_gets_schema_valid_json_and_a_required_tool_is_called_through_FunctionInvokingChatClient()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 1024 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        IChatClient client = new EngineChatClient(serving, "stories260K");

        // ResponseFormat JSON schema (what GetResponseAsync<T> sends) becomes a grammar: a model that knows nothing of
        // JSON still answers with a document that deserializes into T.
        var typed = await client.GetResponseAsync<Forecast>("Once upon a time", new ChatOptions { Temperature = 0.8f, Seed = 3, MaxOutputTokens = 200 });
        Assert.True(typed.TryGetResult(out var forecast), typed.Text);
        Assert.NotNull(forecast);

        // A required tool with FunctionInvokingChatClient: the grammar makes the model call it, the function runs, and
        // its result goes back into the conversation.
        int invoked = 0;
        var weather = AIFunctionFactory.Create((string city) => { invoked++; return "sunny in " + city; }, "get_weather", "Weather in a city");
        using var agent = new FunctionInvokingChatClient(client) { MaximumIterationsPerRequest = 1 };
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 120, Tools = [weather], ToolMode = ChatToolMode.RequireAny };
        var messages = new List<Microsoft.Extensions.AI.ChatMessage> { new(ChatRole.User, "Once upon a time") };
        var answer = await agent.GetResponseAsync(messages, options);
        Assert.True(invoked >= 1, "the required tool was not called");
        Assert.Contains(answer.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
    }

    [Fact]
    public async Task Auto_with_a_response_format_answers_a_valid_call_or_valid_json_and_both_occur()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 2, ContextTokens = 1024 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        IChatClient client = new EngineChatClient(serving, "stories260K");
        // Bounded schemas, so every answer ends within the budget: its validity comes from the grammar alone.
        var args = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"],"additionalProperties":false}""").RootElement;
        var format = JsonDocument.Parse("""{"type":"object","properties":{"pet":{"enum":["cat","dog"]}},"required":["pet"],"additionalProperties":false}""").RootElement;
        var tool = AIFunctionFactory.CreateDeclaration("get_weather", "Weather in a city", args);
        int calls = 0;
        int texts = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var options = new ChatOptions
            {
                Temperature = 1,
                Seed = seed,
                MaxOutputTokens = 150,
                Tools = [tool],
                ToolMode = ChatToolMode.Auto,
                AllowMultipleToolCalls = false,
                ResponseFormat = ChatResponseFormat.ForJsonSchema(format, "pet"),
            };
            var answer = await client.GetResponseAsync("Once upon a time", options);
            var call = answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().SingleOrDefault();
            if (call is not null)
            {
                Assert.Equal("get_weather", call.Name);
                Assert.Equal(["city"], call.Arguments!.Keys);
                calls++;
            }
            else
            {
                var doc = JsonDocument.Parse(answer.Text).RootElement;
                Assert.Contains(doc.GetProperty("pet").GetString(), new[] { "cat", "dog" });
                texts++;
            }
        }

        Assert.True(calls > 0 && texts > 0, $"{calls} calls, {texts} JSON answers");
    }

    /// <summary>The typed answer of the test above (System.Text.Json schema: two required properties).</summary>
    public sealed record Forecast(string City, int Days);
}
