namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Life of one room on either side. States only move forward (in this order); <see cref="Failed"/> can be entered
/// from every non-terminal state. <see cref="Success"/> and <see cref="Failed"/> are terminal. Values are on the wire
/// (none today) and in metrics labels: frozen.
/// </summary>
public enum RoomState
{
    /// <summary>Prefill: waiting for the decode side's Init. Decode: looking up the prefill peer and allocating.</summary>
    Bootstrapping = 0,

    /// <summary>Init was sent/accepted; the first KV chunk has not yet been sent/received.</summary>
    WaitingForInput = 1,

    /// <summary>The prompt did not fit the decode allocation: chunks and Resumes alternate.</summary>
    Transferring = 2,

    /// <summary>The last chunk was sent (prefill) or received (decode).</summary>
    Success = 3,

    /// <summary>Failed for a <see cref="TransferFailure"/>; overrides every non-terminal state.</summary>
    Failed = 4,
}
