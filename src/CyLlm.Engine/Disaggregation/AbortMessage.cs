namespace CyLlm.Engine.Disaggregation;

/// <summary>Either way: the sender failed the room. Wire: u64 room, u8 reason (<see cref="TransferFailure"/>), u16 n, n bytes UTF-8 message.</summary>
public sealed record AbortMessage(RoomId Room, TransferFailure Reason, string Message)
{
    public int Size => 9 + WireWriter.Utf8Size(Message);

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(Room.Value);
        w.U8((byte)Reason);
        w.Utf8(Message);
    }

    public static AbortMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var m = new AbortMessage(new RoomId(r.U64()), (TransferFailure)r.U8(), r.Utf8());
        r.End();
        return m;
    }
}
