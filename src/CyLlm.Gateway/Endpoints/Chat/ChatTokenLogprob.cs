namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>A generated token: text, natural-log probability, UTF-8 bytes (as ints) and the top alternatives.</summary>
public sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, ChatTopLogprob[] TopLogprobs);
