namespace CyLlm.Jobs.Storage;

/// <summary>
/// A worker's exclusive claim on a task until <paramref name="ExpiresAt"/>. <paramref name="Epoch"/> increases every time
/// the lease changes hands, so a lease object doubles as a fencing token: writes fenced with a stale epoch are refused.
/// </summary>
public sealed record Lease(TaskId TaskId, string Owner, long Epoch, DateTimeOffset AcquiredAt, DateTimeOffset HeartbeatAt, DateTimeOffset ExpiresAt)
{
    public bool IsExpiredAt(DateTimeOffset now) => now >= ExpiresAt;
}
