using System.Runtime.CompilerServices;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Sampling.Grammars;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = CyLlm.ChatTemplates.ChatMessage;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Microsoft.Extensions.AI <see cref="IChatClient"/> over the serving engine, for in-process callers: the
/// conversation is rendered with the model's chat template and generated with continuous batching. Function tools
/// in <see cref="ChatOptions.Tools"/> are rendered for the model and its calls come back as
/// <see cref="FunctionCallContent"/> (finish reason ToolCalls); <see cref="FunctionResultContent"/> goes back in as
/// tool turns, so FunctionInvokingChatClient works over it. A required tool mode constrains the reply to a call.
/// <see cref="ChatOptions.ModelId"/> picks a LoRA adapter loaded into the engine (its name, or "base:name" as the
/// gateway spells it); null or the base model's id runs the base model.
/// </summary>
public sealed class EngineChatClient(ServingEngine serving, string modelId) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("cyllm", defaultModelId: modelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (request, parser) = Request(messages, options);
        var result = await serving.Submit(request, cancellationToken).Completion.ConfigureAwait(false);
        var contents = parser is null
            ? [new TextContent(result.Text)]
            : ChatClientTools.Contents([.. parser.Push(result.Text), .. parser.Finish()]);
        bool calls = contents.Any(c => c is FunctionCallContent);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, contents))
        {
            ModelId = modelId,
            FinishReason = result.FinishReason == FinishReason.Length ? ChatFinishReason.Length : calls ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = result.PromptTokenIds.Length,
                OutputTokenCount = result.TokenIds.Length,
                TotalTokenCount = result.PromptTokenIds.Length + result.TokenIds.Length,
            },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (request, parser) = Request(messages, options);
        var handle = serving.Submit(request, cancellationToken);
        bool calls = false;
        await foreach (var token in handle.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (token.TextDelta.Length == 0)
            {
                continue;
            }

            if (parser is null)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, token.TextDelta) { ModelId = modelId };
                continue;
            }

            foreach (var content in ChatClientTools.Contents(parser.Push(token.TextDelta)))
            {
                calls |= content is FunctionCallContent;
                yield return new ChatResponseUpdate(ChatRole.Assistant, [content]) { ModelId = modelId };
            }
        }

        if (parser is not null)
        {
            foreach (var content in ChatClientTools.Contents(parser.Finish()))
            {
                calls |= content is FunctionCallContent;
                yield return new ChatResponseUpdate(ChatRole.Assistant, [content]) { ModelId = modelId };
            }
        }

        var result = await handle.Completion.ConfigureAwait(false);
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = modelId,
            FinishReason = result.FinishReason == FinishReason.Length ? ChatFinishReason.Length : calls ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
        };
    }

    private (ServingRequest Request, IToolCallParser? Parser) Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var rendered = ChatClientTools.Messages(messages);
        var tools = ChatClientTools.Tools(options);
        var choice = ChatClientTools.Choice(options, tools);
        var dialect = serving.Engine.ToolDialect;
        var prompt = serving.Engine.EncodeChat(rendered, tools, "");
        var sampling = new SamplingParams
        {
            Temperature = options?.Temperature ?? 1f,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            Seed = options?.Seed,
            MaxTokens = options?.MaxOutputTokens ?? Math.Min(512, serving.Engine.ContextTokens - prompt.Length),
            PresencePenalty = options?.PresencePenalty ?? 0,
            FrequencyPenalty = options?.FrequencyPenalty ?? 0,
            Stop = options?.StopSequences?.ToArray() ?? [],
            Grammar = ResponseGrammar(options?.ResponseFormat),
        };
        IToolCallParser? parser = null;
        if (dialect.ParsesEveryReply && !(tools.Count > 0 && choice.Mode != ToolChoiceMode.None))
        {
            // Harmony (gpt-oss): every reply is split into its reasoning and answer channels, tools or not.
            sampling = sampling with { RenderSpecialTokens = true };
            parser = dialect.CreateChannelParser();
        }

        if (tools.Count > 0 && choice.Mode != ToolChoiceMode.None)
        {
            // Call markers such as <|python_tag|> and [TOOL_CALLS] are control tokens: the parser must see them.
            sampling = sampling with { RenderSpecialTokens = true };
            parser = dialect.CreateParser();
            if (choice.Forces || sampling.Grammar is not null)
            {
                // A required or named call: the reply is constrained to the family's call format, arguments by schema
                // (a forced call has no text reply for a ResponseFormat to apply to). Auto with a ResponseFormat: either
                // a call to any tool or the formatted text, so the model can still call a tool.
                string gbnf = ToolCallGrammar.Build(dialect.Family, tools, choice.Forces ? choice : ToolChoice.Required, options?.AllowMultipleToolCalls ?? true,
                    (schema, prefix) => JsonSchemaGrammar.ToGbnf(schema, prefix, "tools.parameters", compact: true));
                var calls = Grammar.FromGbnf(gbnf);
                sampling = sampling with { Grammar = choice.Forces ? calls : Grammar.Either(calls, sampling.Grammar!) };
            }
        }

        return (new ServingRequest(prompt, sampling) { Adapter = AdapterOf(options?.ModelId) }, parser);
    }

    /// <summary>The adapter a ChatOptions.ModelId names: null for the base model; an unknown name fails at submit
    /// with the engine's AdapterNotFoundException.</summary>
    private string? AdapterOf(string? id) =>
        string.IsNullOrEmpty(id) || id == modelId ? null
        : id.StartsWith(modelId + ":", StringComparison.Ordinal) ? id[(modelId.Length + 1)..]
        : id;

    /// <summary>ChatOptions.ResponseFormat as a grammar: JSON (any object) or a JSON schema (GetResponseAsync&lt;T&gt;); null for text.</summary>
    private static Grammar? ResponseGrammar(ChatResponseFormat? format) => format switch
    {
        ChatResponseFormatJson { Schema: { } schema } => Grammar.FromJsonSchema(schema, "ResponseFormat.Schema"),
        ChatResponseFormatJson => Grammar.JsonObject(),
        _ => null,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
