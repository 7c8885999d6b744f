namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>OpenAI's <c>usage</c> object (tokens).</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails)
{
    public static Usage Of(int prompt, int completion, int cached = 0) => new(prompt, completion, prompt + completion, new PromptTokensDetails(cached));
}
