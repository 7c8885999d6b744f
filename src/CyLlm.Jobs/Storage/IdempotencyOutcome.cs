namespace CyLlm.Jobs.Storage;

/// <summary>What <see cref="IJobStore.TryBeginIdempotentAsync"/> decided for a request's idempotency key.</summary>
public enum IdempotencyOutcome
{
    /// <summary>First use of the key (or the old use expired): the caller now owns it and must complete or abandon it.</summary>
    New,

    /// <summary>Same key, same request body, already completed: return the stored response.</summary>
    Replay,

    /// <summary>Same key, different request body: reject (HTTP 409/422 class).</summary>
    Conflict,

    /// <summary>Same key and body, still being processed by another request: reject and let the client retry (HTTP 409).</summary>
    InProgress,
}
