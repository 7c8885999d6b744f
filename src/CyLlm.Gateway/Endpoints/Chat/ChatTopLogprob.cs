namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>An alternative token at one position.</summary>
public sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);
