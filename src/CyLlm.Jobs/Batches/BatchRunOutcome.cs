namespace CyLlm.Jobs.Batches;

/// <summary>How a <see cref="BatchRunner.RunAsync"/> call ended.</summary>
public enum BatchRunOutcome
{
    Completed,
    Failed,
    Expired,
    Cancelled,

    /// <summary>Another worker holds a live lease on the batch; nothing was done (try again after its lease expires).</summary>
    LeaseHeld,

    /// <summary>The batch was already terminal; nothing was done.</summary>
    AlreadyFinished,

    /// <summary>This worker's lease was taken over while it ran; it stopped without recording more.</summary>
    LeaseLost,
}
