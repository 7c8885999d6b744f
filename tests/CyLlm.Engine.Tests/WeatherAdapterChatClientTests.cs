using CyLlm.Engine.Scheduling;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace CyLlm.Engine.Tests;

/// <summary>
/// The agent loop in process: <see cref="FunctionInvokingChatClient"/> over <see cref="EngineChatClient"/> with the
/// tool-using LoRA trained here (models/weather-tools, picked by ChatOptions.ModelId). Tool mode auto: the model
/// decides to call get_weather, the function runs, its result goes back, and the model answers from it.
/// </summary>
public sealed class WeatherAdapterChatClientTests
{
    private static string Folder => Path.Combine(TestPaths.RepoRoot, "models", "weather-tools");

    [Fact]
    public async Task FunctionInvokingChatClient_runs_the_tool_the_adapter_calls_and_returns_the_answer()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null,
            new EngineOptions { Threads = 2, ChatTemplate = File.ReadAllText(Path.Combine(Folder, "chat_template.jinja")) });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 8 << 20 });
        serving.LoadAdapter("weather", Path.Combine(Folder, "adapter.gguf"));

        var calls = new List<string>();
        var weather = AIFunctionFactory.Create(
            (string city) =>
            {
                calls.Add(city);
                return "{\"city\": \"" + city + "\", \"condition\": \"snowy\", \"temperature\": 2}";
            },
            "get_weather",
            "Get the current weather in a city");
        using var agent = new FunctionInvokingChatClient(new EngineChatClient(serving, "stories260K")) { MaximumIterationsPerRequest = 3 };
        var options = new ChatOptions { ModelId = "weather", Temperature = 0, MaxOutputTokens = 80, Tools = [weather], ToolMode = ChatToolMode.Auto };

        var response = await agent.GetResponseAsync([new AiChatMessage(ChatRole.User, "What is the weather in Oslo?")], options);

        Assert.Equal(["Oslo"], calls);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        // The call, the function's result and the final answer, in order.
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionCallContent>().Any(c => c.Name == "get_weather"));
        Assert.Contains(response.Messages, m => m.Contents.OfType<FunctionResultContent>().Any());
        Assert.Contains("snowy", response.Text, StringComparison.Ordinal);
        Assert.Contains("Oslo", response.Text, StringComparison.Ordinal);

        // Streamed through the same loop: the same tool call, the same answer.
        calls.Clear();
        var text = new System.Text.StringBuilder();
        await foreach (var update in agent.GetStreamingResponseAsync([new AiChatMessage(ChatRole.User, "What is the weather in Oslo?")], options))
        {
            text.Append(update.Text);
        }

        Assert.Equal(["Oslo"], calls);
        Assert.Equal(response.Text, text.ToString());
    }

    [Fact]
    public async Task An_unknown_adapter_in_ModelId_is_the_engines_not_found_error()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("stories260K.gguf"), null, new EngineOptions { Threads = 1 });
        using var serving = new ServingEngine(engine, new ServingOptions { KvCacheBytes = 4 << 20 });
        IChatClient client = new EngineChatClient(serving, "stories260K");
        await Assert.ThrowsAsync<AdapterNotFoundException>(() => client.GetResponseAsync("hi", new ChatOptions { ModelId = "stories260K:nope", MaxOutputTokens = 2 }));
        var ok = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "stories260K", MaxOutputTokens = 2, Temperature = 0 });
        Assert.NotNull(ok.Text);
    }
}
