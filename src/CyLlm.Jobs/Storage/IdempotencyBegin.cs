namespace CyLlm.Jobs.Storage;

/// <summary>The decision for an idempotency key; <paramref name="StatusCode"/> and <paramref name="Response"/> are set for <see cref="IdempotencyOutcome.Replay"/>.</summary>
public sealed record IdempotencyBegin(IdempotencyOutcome Outcome, int? StatusCode, string? Response, DateTimeOffset ExpiresAt);
