using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// The agent loop on a model that decides for itself: the LoRA trained here (models/weather-tools, stories260K + the
/// compact Hermes template) calls get_weather under <c>tool_choice: "auto"</c> when asked about the weather, and
/// answers from the tool's result once it comes back; asked anything else it answers in text. Driven through the
/// official OpenAI .NET SDK, streamed and not, over HTTP — nothing here is scripted or forced by a grammar.
/// </summary>
public sealed class WeatherAgentLoopTests(WeatherAdapterServerFixture fx) : IClassFixture<WeatherAdapterServerFixture>
{
    private static readonly string[] Conditions = ["sunny", "rainy", "cloudy", "windy", "snowy"];

    private ChatClient Client() => new(WeatherAdapterServerFixture.Adapter, new ApiKeyCredential("x"), new OpenAIClientOptions
    {
        Endpoint = new Uri(fx.Server.BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(0),
    });

    private static ChatCompletionOptions Options()
    {
        var o = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 80, ToolChoice = ChatToolChoice.CreateAutoChoice() };
        o.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "Get the current weather in a city",
            BinaryData.FromString("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}")));
        return o;
    }

    /// <summary>What the test's tool returns: a condition derived from the city, so the answer must come from it.</summary>
    private static string Weather(string city) =>
        JsonSerializer.Serialize(new { city, condition = Conditions[(city.Length + city[0]) % Conditions.Length], temperature = 10 + city.Length });

    [Theory]
    [InlineData("What is the weather in Paris?", "Paris")]
    [InlineData("How is the weather in Tokyo today?", "Tokyo")]
    [InlineData("Is it raining in London?", "London")]
    public async Task The_model_calls_the_tool_then_answers_from_its_result(string question, string city)
    {
        var client = Client();
        var options = Options();
        List<ChatMessage> messages = [new UserChatMessage(question)];

        ChatCompletion first = (await client.CompleteChatAsync(messages, options)).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        using var args = JsonDocument.Parse(call.FunctionArguments.ToString());
        Assert.Equal(city, args.RootElement.GetProperty("city").GetString());
        Assert.DoesNotContain(first.Content, p => !string.IsNullOrWhiteSpace(p.Text));

        // The agent runs the tool and sends its result back; the model now answers in text from it.
        messages.Add(new AssistantChatMessage(first));
        string result = Weather(city);
        messages.Add(new ToolChatMessage(call.Id, result));
        ChatCompletion second = (await client.CompleteChatAsync(messages, options)).Value;
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Empty(second.ToolCalls);
        string answer = Assert.Single(second.Content).Text;
        string condition = JsonDocument.Parse(result).RootElement.GetProperty("condition").GetString()!;
        Assert.True(answer.Contains(condition, StringComparison.Ordinal) && answer.Contains(city, StringComparison.Ordinal), $"the answer \"{answer}\" does not state the tool's result {result}");
    }

    [Theory]
    [InlineData("Tell me a story about a cat.")]
    [InlineData("What is your name?")]
    public async Task Other_questions_get_a_text_answer_and_no_call(string question)
    {
        ChatCompletion reply = (await Client().CompleteChatAsync([new UserChatMessage(question)], Options())).Value;
        Assert.Equal(ChatFinishReason.Stop, reply.FinishReason);
        Assert.Empty(reply.ToolCalls);
        Assert.False(string.IsNullOrWhiteSpace(Assert.Single(reply.Content).Text));
        Assert.DoesNotContain("tool_call", reply.Content[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_tools_the_model_does_not_call_and_the_base_model_does_not_know_the_format()
    {
        // No tools offered: the adapter learned to answer in text.
        var plain = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 60 };
        ChatCompletion noTools = (await Client().CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], plain)).Value;
        Assert.Equal(ChatFinishReason.Stop, noTools.FinishReason);
        Assert.Empty(noTools.ToolCalls);

        // The base model under the same template and tools makes no call: the behaviour is the adapter's.
        var baseClient = new ChatClient("stories260K", new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(fx.Server.BaseUrl + "/v1"), RetryPolicy = new ClientRetryPolicy(0) });
        ChatCompletion baseReply = (await baseClient.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], Options())).Value;
        Assert.Empty(baseReply.ToolCalls);
    }

    [Fact]
    public async Task A_streamed_call_assembles_into_the_non_streamed_call()
    {
        var client = Client();
        var options = Options();
        ChatMessage[] messages = [new UserChatMessage("What is the weather in Rome?")];
        ChatCompletion whole = (await client.CompleteChatAsync(messages, options)).Value;
        var expected = Assert.Single(whole.ToolCalls);

        var name = new StringBuilder();
        var arguments = new StringBuilder();
        var ids = new HashSet<string>();
        ChatFinishReason? finish = null;
        var content = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate)
            {
                content.Append(part.Text);
            }

            foreach (var t in update.ToolCallUpdates)
            {
                Assert.Equal(0, t.Index);
                if (t.ToolCallId is { } id)
                {
                    ids.Add(id);
                }

                name.Append(t.FunctionName);
                arguments.Append(t.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Single(ids);
        Assert.Equal("", content.ToString().Trim());
        Assert.Equal(expected.FunctionName, name.ToString());
        Assert.Equal(expected.FunctionArguments.ToString(), arguments.ToString());
    }

    [Fact]
    public async Task Models_show_the_adapter_under_its_base_with_the_native_tool_format()
    {
        using var resp = await fx.Server.Http.GetAsync("/v1/models");
        var data = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("data").EnumerateArray().ToList();
        var adapter = Assert.Single(data, m => m.GetProperty("id").GetString() == "stories260K:" + WeatherAdapterServerFixture.Adapter);
        Assert.Equal("stories260K", adapter.GetProperty("parent").GetString());
        // --chat-template gave the base a template that writes Hermes calls itself.
        Assert.Equal("hermes", adapter.GetProperty("tool_format").GetString());
        Assert.Equal("custom", adapter.GetProperty("chat_template").GetString());
    }
}
