using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CyLlm.Gateway.Tests;

/// <summary>The official OpenAI .NET SDK against a live gateway over stories260K.</summary>
[Collection(StoriesCollection.Name)]
public sealed class ChatSdkTests(StoriesServerFixture fx)
{
    private ChatClient Client(string? model = null) => new(model ?? fx.ModelId, new ApiKeyCredential("x"), new OpenAIClientOptions
    {
        Endpoint = new Uri(fx.Server.BaseUrl + "/v1"),
        // Errors must surface at once, not after the SDK's retries.
        RetryPolicy = new ClientRetryPolicy(0),
    });

    private static readonly ChatMessage[] Conversation = [new SystemChatMessage("You tell stories."), new UserChatMessage("Once upon a time")];

    [Fact]
    public void Chat_greedy_equals_engine_generate_for_the_same_rendered_prompt()
    {
        var completion = Client().CompleteChat(Conversation, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 }).Value;

        var messages = new List<CyLlm.ChatTemplates.ChatMessage> { new("system", "You tell stories."), new("user", "Once upon a time") };
        var ids = fx.Engine.EncodeChat(messages);
        var expected = fx.Engine.Generate(new GenerationRequest { PromptTokens = ids, Sampling = new SamplingParams { Temperature = 0, MaxTokens = 24 } });

        Assert.Equal(expected.Text, completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ids.Length, completion.Usage.InputTokenCount);
        Assert.Equal(expected.TokenIds.Length, completion.Usage.OutputTokenCount);
        Assert.Equal(ids.Length + expected.TokenIds.Length, completion.Usage.TotalTokenCount);
        Assert.Equal(0, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(fx.ModelId, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
    }

    [Fact]
    public void Streaming_chat_concatenates_to_the_non_streaming_text_and_reports_usage()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 20 };
        var full = Client().CompleteChat(Conversation, options).Value;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        foreach (var u in Client().CompleteChatStreaming(Conversation, options))
        {
            updates++;
            foreach (var part in u.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }

        Assert.True(updates > 2, $"only {updates} updates");
        Assert.Equal(full.Content[0].Text, text.ToString());
        Assert.Equal(full.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(full.Usage.TotalTokenCount, usage!.TotalTokenCount);
    }

    [Fact]
    public void Logprobs_come_back_per_token_with_top_alternatives()
    {
        var completion = Client().CompleteChat(Conversation, new ChatCompletionOptions
        {
            Temperature = 0,
            MaxOutputTokenCount = 8,
            IncludeLogProbabilities = true,
            TopLogProbabilityCount = 3,
        }).Value;

        var lps = completion.ContentTokenLogProbabilities;
        Assert.Equal(completion.Usage.OutputTokenCount, lps.Count);
        foreach (var lp in lps)
        {
            Assert.True(lp.LogProbability <= 0);
            Assert.Equal(3, lp.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(lp.TopLogProbabilities[0].Token, lp.Token);
            Assert.Equal(lp.TopLogProbabilities[0].LogProbability, lp.LogProbability, 4);
            Assert.Equal(Encoding.UTF8.GetString(lp.Utf8Bytes!.Value.Span), lp.Token);
        }
    }

    [Fact]
    public void Unknown_model_is_a_404_client_result_exception()
    {
        var ex = Assert.Throws<ClientResultException>(() => Client("gpt-4o").CompleteChat(Conversation));
        Assert.Equal(404, ex.Status);
        Assert.Contains("model_not_found", ex.Message);
    }

    [Fact]
    public void Out_of_range_temperature_is_a_400_naming_it()
    {
        var ex = Assert.Throws<ClientResultException>(() => Client().CompleteChat(Conversation, new ChatCompletionOptions { Temperature = 7 }));
        Assert.Equal(400, ex.Status);
        Assert.Contains("temperature", ex.Message);
    }

    [Fact]
    public void A_tool_round_trip_through_the_sdk_is_rendered_like_the_engine_renders_it()
    {
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "weather"));
        ChatMessage[] messages =
        [
            new UserChatMessage("Weather?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("{\"city\":\"Paris\"}"))]),
            new ToolChatMessage("call_1", "sunny"),
        ];
        var completion = Client().CompleteChat(messages, options).Value;
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);

        var rendered = new List<CyLlm.ChatTemplates.ChatMessage>
        {
            new("user", "Weather?"),
            new("assistant", "") { ToolCalls = [new CyLlm.ChatTemplates.ChatToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")] },
            new("tool", "sunny") { ToolCallId = "call_1" },
        };
        var ids = fx.Engine.EncodeChat(rendered, [new CyLlm.ChatTemplates.ChatTool("get_weather", "weather")], "");
        Assert.Equal(ids.Length, completion.Usage.InputTokenCount);
        Assert.Contains("<tool_response>\nsunny\n</tool_response>", fx.Engine.RenderChat(rendered, [new CyLlm.ChatTemplates.ChatTool("get_weather", "weather")]), StringComparison.Ordinal);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_over_the_api()
    {
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK.
        var options = new ChatCompletionOptions { Temperature = 1, Seed = 1234, MaxOutputTokenCount = 16 };
#pragma warning restore OPENAI001
        var a = Client().CompleteChat(Conversation, options).Value.Content[0].Text;
        var b = Client().CompleteChat(Conversation, options).Value.Content[0].Text;
        Assert.Equal(a, b);
    }
}
