using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Scheduling;

/// <summary>What <see cref="Scheduler{T}"/> reads and updates of a sequence: its order, its length and its KV blocks.</summary>
internal interface ISchedulable
{
    /// <summary>Scheduling priority, lower first.</summary>
    int Priority { get; }

    /// <summary>Arrival timestamp: the order within a priority (first come, first served).</summary>
    long Arrival { get; }

    /// <summary>Tokens so far (prompt plus generated); the ones past <see cref="Computed"/> still need a forward pass.</summary>
    int TokenCount { get; }

    /// <summary>Tokens whose KV is in <see cref="Blocks"/>.</summary>
    int Computed { get; set; }

    /// <summary>The sequence's KV blocks in order (its block table).</summary>
    List<BlockId> Blocks { get; }

    bool Running { get; set; }
}
