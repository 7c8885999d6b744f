namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Decode → prefill after a chunk filled the allocation: <see cref="SentTokens"/> received so far, <see cref="AllocatedTokens"/>
/// more granted in the new destination <see cref="Blocks"/>. Wire: u64 room, i32 sentTokens, i32 allocatedTokens, i32 n, i32[n].
/// </summary>
public sealed record ResumeMessage(RoomId Room, int SentTokens, int AllocatedTokens, int[] Blocks)
{
    public int Size => 20 + (4 * Blocks.Length);

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(Room.Value);
        w.I32(SentTokens);
        w.I32(AllocatedTokens);
        w.I32Array(Blocks);
    }

    public static ResumeMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var m = new ResumeMessage(new RoomId(r.U64()), r.I32(), r.I32(), r.I32Array(KvConnection.MaxBlocksPerMessage));
        r.End();
        return m;
    }
}
