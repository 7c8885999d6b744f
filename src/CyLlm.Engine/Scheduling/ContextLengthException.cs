namespace CyLlm.Engine.Scheduling;

/// <summary>Prompt plus max_tokens exceed the context (OpenAI code context_length_exceeded).</summary>
public sealed class ContextLengthException(int promptTokens, int maxTokens, int context)
    // The sum is taken in long: a client may send max_tokens near int.MaxValue, which must not wrap in the message either.
    : ArgumentException($"this model's context is {context} tokens, but the request asks for {(long)promptTokens + maxTokens} ({promptTokens} in the prompt, {maxTokens} to generate); shorten the prompt or reduce max_tokens")
{
    public int PromptTokens { get; } = promptTokens;

    public int MaxTokens { get; } = maxTokens;

    public int Context { get; } = context;
}
