using System.Runtime.CompilerServices;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = CyLlm.ChatTemplates.ChatMessage;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Microsoft.Extensions.AI <see cref="IChatClient"/> over the serving engine, for in-process callers: the
/// conversation is rendered with the model's chat template and generated with continuous batching.
/// </summary>
public sealed class EngineChatClient(ServingEngine serving, string modelId) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("cyllm", defaultModelId: modelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await serving.Submit(Request(messages, options), cancellationToken).Completion.ConfigureAwait(false);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = modelId,
            FinishReason = result.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop,
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
        var handle = serving.Submit(Request(messages, options), cancellationToken);
        await foreach (var token in handle.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (token.TextDelta.Length > 0)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, token.TextDelta) { ModelId = modelId };
            }
        }

        var result = await handle.Completion.ConfigureAwait(false);
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = modelId,
            FinishReason = result.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop,
        };
    }

    private ServingRequest Request(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var rendered = messages.Select(m => new TemplateMessage(m.Role.Value, m.Text)).ToList();
        var prompt = serving.Engine.EncodeChat(rendered);
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
        };
        return new ServingRequest(prompt, sampling);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
