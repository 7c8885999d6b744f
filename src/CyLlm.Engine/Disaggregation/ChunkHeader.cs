namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Prefill → decode: KV positions [Start, Start+Count) of the room, written into the destination <see cref="Blocks"/>
/// (the decode side's ids, echoed back and checked). Wire: u64 room, i32 start, i32 count, u8 last, i32 n, i32[n],
/// then n × blockBytes of KV, block-major (see <see cref="KvLayout"/>). Start is always a multiple of the block size.
/// </summary>
public sealed record ChunkHeader(RoomId Room, int Start, int Count, bool Last, int[] Blocks)
{
    public int Size => 21 + (4 * Blocks.Length);

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(Room.Value);
        w.I32(Start);
        w.I32(Count);
        w.U8(Last ? (byte)1 : (byte)0);
        w.I32Array(Blocks);
    }

    /// <summary>Parses the header; <paramref name="kvOffset"/> is where the KV bytes start in the payload.</summary>
    public static ChunkHeader Parse(ReadOnlySpan<byte> payload, out int kvOffset)
    {
        var r = new WireReader(payload);
        var m = new ChunkHeader(new RoomId(r.U64()), r.I32(), r.I32(), r.U8() != 0, r.I32Array(KvConnection.MaxBlocksPerMessage));
        kvOffset = payload.Length - r.Remaining;
        return m;
    }
}
