namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The choice of one streaming chunk: a delta, its logprobs, and finish_reason on the last one.</summary>
public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);
