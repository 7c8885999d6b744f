namespace CyLlm.Engine.Disaggregation;

/// <summary>A disaggregated request whose KV transfer failed; <see cref="Reason"/> says why.</summary>
public sealed class KvTransferException(RoomId room, TransferFailure reason, string message)
    : Exception($"KV transfer for {room} failed ({reason}): {message}")
{
    public RoomId Room { get; } = room;

    public TransferFailure Reason { get; } = reason;
}
