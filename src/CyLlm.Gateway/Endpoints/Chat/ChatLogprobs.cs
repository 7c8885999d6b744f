namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>Chat logprobs: one entry per generated token.</summary>
public sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);
