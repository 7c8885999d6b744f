namespace CyLlm.Engine.Scheduling;

/// <summary>
/// What <see cref="Scheduler{T}"/> leaves to its owner: LoRA adapter limits, the prefix cache, and the bookkeeping
/// (metrics, queue counters, signals) of admissions and preemptions. The decisions stay in the scheduler.
/// </summary>
internal interface ISchedulerHooks<in T>
{
    /// <summary>Whether <paramref name="s"/> may join this step's batch (e.g. max_loras distinct adapters).</summary>
    bool CanJoin(T s);

    /// <summary><paramref name="s"/> joined this step's batch.</summary>
    void Joined(T s);

    /// <summary>A waiting sequence with no KV yet is about to be admitted: attach cached prefix blocks, if any.</summary>
    void AttachCachedPrefix(T s);

    /// <summary>The fresh waiting head <paramref name="s"/> could not get its blocks: the cached prefix attached to it was
    /// given back and it starts from nothing next time.</summary>
    void Deferred(T s);

    /// <summary><paramref name="s"/> left the waiting queue and runs.</summary>
    void Admitted(T s);

    /// <summary><paramref name="s"/> was preempted: its blocks are released and it is back in the waiting queue.</summary>
    void Preempted(T s);
}
