namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// One received frame: its type and payload (a rented buffer of at least <see cref="Length"/> bytes; return it with
/// <see cref="KvConnection.Return"/>), and the <see cref="System.Diagnostics.Stopwatch"/> timestamp its header arrived.
/// </summary>
public readonly record struct KvFrame(KvMessageType Type, byte[] Buffer, int Length, long HeaderTimestamp)
{
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);
}
