namespace CyLlm.Gateway.Idempotency;

/// <summary>What an idempotent POST answers: status, JSON body, and whether it is the stored first response.</summary>
public sealed record IdempotentOutcome(int StatusCode, string Json, bool Replayed);
