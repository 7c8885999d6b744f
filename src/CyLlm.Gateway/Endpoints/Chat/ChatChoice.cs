namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>One choice of a chat completion.</summary>
public sealed record ChatChoice(int Index, ChatResponseMessage Message, ChatLogprobs? Logprobs, string FinishReason);
