namespace CyLlm.Engine.Scheduling;

/// <summary>Prompt plus max_tokens exceed the context (OpenAI code context_length_exceeded).</summary>
public sealed class ContextLengthException(int promptTokens, int maxTokens, int context)
    : ArgumentException($"this model's context is {context} tokens, but the request asks for {promptTokens + maxTokens} ({promptTokens} in the prompt, {maxTokens} to generate); shorten the prompt or reduce max_tokens")
{
    public int PromptTokens { get; } = promptTokens;

    public int Context { get; } = context;
}
