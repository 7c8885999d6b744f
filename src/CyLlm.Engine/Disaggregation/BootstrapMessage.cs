namespace CyLlm.Engine.Disaggregation;

/// <summary>
/// The bootstrap registry's messages (register, lookup, reply, unregister share one shape):
/// wire: u64 room, u8 found, u16 port, u16 n, n bytes UTF-8 host. Register carries the prefill worker's KV address;
/// Lookup and Unregister leave host empty; Reply says whether the room is registered and where.
/// </summary>
public sealed record BootstrapMessage(RoomId Room, bool Found, string Host, int Port)
{
    /// <summary>Longest host name a registry message carries (a DNS name is at most 253 bytes).</summary>
    public const int MaxHostBytes = 255;

    public int Size => 11 + WireWriter.Utf8Size(Host);

    public void Write(Span<byte> dest)
    {
        var w = new WireWriter(dest);
        w.U64(Room.Value);
        w.U8(Found ? (byte)1 : (byte)0);
        w.U16((ushort)Port);
        w.Utf8(Host);
    }

    public static BootstrapMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new WireReader(payload);
        var room = new RoomId(r.U64());
        bool found = r.U8() != 0;
        int port = r.U16();
        if (r.Remaining > 2 + MaxHostBytes)
        {
            throw new KvProtocolException($"a registry message's host is longer than {MaxHostBytes} bytes");
        }

        var m = new BootstrapMessage(room, found, r.Utf8(), port);
        r.End();
        return m;
    }
}
