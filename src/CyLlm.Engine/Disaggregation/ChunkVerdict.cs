namespace CyLlm.Engine.Disaggregation;

/// <summary>What the decode side does with a received KV chunk.</summary>
public enum ChunkVerdict
{
    /// <summary>Written; more of this round is still to come.</summary>
    Accepted,

    /// <summary>Written and it filled the allocation: allocate more and send Resume.</summary>
    NeedMore,

    /// <summary>Written and it was the last: the room succeeded.</summary>
    Completed,

    /// <summary>A repeat or stale chunk (or the room is over): dropped, counted, not written.</summary>
    Duplicate,

    /// <summary>Inconsistent with the room (beyond the allocation, wrong total): the room failed.</summary>
    Rejected,
}
