using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// Decode → prefill, first on a connection: who the decode node is and the layout of its destination pool
/// (wire: u64 node, i32 layers, i32 kvDim, i32 blockTokens, u8 kvType, i32 totalBlocks; 25 bytes).
/// The prefill side refuses a layout unlike its own.
/// </summary>
public sealed record RegisterBuffersMessage(ulong NodeId, KvLayout Layout, int TotalBlocks)
{
    public const int Size = 25;

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(NodeId);
        w.I32(Layout.Layers);
        w.I32(Layout.KvDim);
        w.I32(Layout.BlockTokens);
        w.U8((byte)Layout.Type);
        w.I32(TotalBlocks);
    }

    public static RegisterBuffersMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var m = new RegisterBuffersMessage(r.U64(), new KvLayout(r.I32(), r.I32(), r.I32(), (KvCacheType)r.U8()), r.I32());
        r.End();
        return m;
    }
}
