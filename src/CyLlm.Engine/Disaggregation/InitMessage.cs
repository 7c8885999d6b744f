namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Decode → prefill: start the room. <see cref="KvTokens"/> is the number of KV positions expected (both sides check it),
/// <see cref="AllocatedTokens"/> the tokens the destination <see cref="Blocks"/> hold (whole blocks, as actually allocated).
/// Wire: u64 room, i32 kvTokens, i32 allocatedTokens, i32 n, i32[n] block ids.
/// </summary>
public sealed record InitMessage(RoomId Room, int KvTokens, int AllocatedTokens, int[] Blocks)
{
    public int Size => 20 + (4 * Blocks.Length);

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(Room.Value);
        w.I32(KvTokens);
        w.I32(AllocatedTokens);
        w.I32Array(Blocks);
    }

    public static InitMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var m = new InitMessage(new RoomId(r.U64()), r.I32(), r.I32(), r.I32Array(KvConnection.MaxBlocksPerMessage));
        r.End();
        return m;
    }
}
