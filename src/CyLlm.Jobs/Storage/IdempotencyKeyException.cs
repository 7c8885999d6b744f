namespace CyLlm.Jobs.Storage;

/// <summary>
/// An Idempotency-Key cannot be honoured: it was used with a different request body (<see cref="IdempotencyOutcome.Conflict"/>)
/// or its first request is still running (<see cref="IdempotencyOutcome.InProgress"/>). Both map to HTTP 409.
/// </summary>
public sealed class IdempotencyKeyException : JobStoreException
{
    public IdempotencyKeyException(string key, IdempotencyOutcome outcome)
        : base(outcome == IdempotencyOutcome.Conflict
            ? $"Idempotency-Key '{key}' was already used with a different request body"
            : $"a request with Idempotency-Key '{key}' is still being processed; retry later")
    {
        Key = key;
        Outcome = outcome;
    }

    public string Key { get; }

    public IdempotencyOutcome Outcome { get; }
}
