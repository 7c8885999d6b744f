using System.Buffers.Binary;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.KvCache;

namespace CyLlm.Engine.Tests.Disaggregation;

/// <summary>The binary framing of docs/disaggregation.md: exact sizes, little-endian fields, clear errors on bad input.</summary>
public sealed class WireFormatTests
{
    [Fact]
    public void Init_is_laid_out_as_documented_and_round_trips()
    {
        var m = new InitMessage(new RoomId(0x0102030405060708), 100, 112, [7, 9, 11, 3, 4, 5, 6]);
        var buf = new byte[m.Size];
        m.Write(buf);
        Assert.Equal(20 + (4 * 7), buf.Length);
        Assert.Equal(0x0102030405060708UL, BinaryPrimitives.ReadUInt64LittleEndian(buf));
        Assert.Equal(100, BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(8)));
        Assert.Equal(112, BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(12)));
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(16)));
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(20)));
        var back = InitMessage.Parse(buf);
        Assert.Equal(m.Room, back.Room);
        Assert.Equal(m.Blocks, back.Blocks);
        Assert.Equal((m.KvTokens, m.AllocatedTokens), (back.KvTokens, back.AllocatedTokens));
    }

    [Fact]
    public void Every_message_round_trips()
    {
        var resume = new ResumeMessage(new RoomId(5), 64, 32, [1, 2]);
        Assert.Equal(resume with { Blocks = resume.Blocks }, Rt(resume.Size, resume.Write, ResumeMessage.Parse) with { Blocks = resume.Blocks });
        var abort = new AbortMessage(new RoomId(9), TransferFailure.HeartbeatTimeout, "peer é gone");
        Assert.Equal(abort, Rt(abort.Size, abort.Write, AbortMessage.Parse));
        var reg = new RegisterBuffersMessage(77, new KvLayout(5, 64, 16, KvCacheType.F16), 1000);
        Assert.Equal(reg, Rt(RegisterBuffersMessage.Size, reg.Write, RegisterBuffersMessage.Parse));
        var boot = new BootstrapMessage(new RoomId(3), true, "127.0.0.1", 40123);
        Assert.Equal(boot, Rt(boot.Size, boot.Write, BootstrapMessage.Parse));
        var chunk = new ChunkHeader(new RoomId(4), 32, 20, true, [8, 9]);
        var buf = new byte[chunk.Size + 10];
        chunk.Write(buf);
        var back = ChunkHeader.Parse(buf, out int kvOffset);
        Assert.Equal(21 + 8, kvOffset);
        Assert.Equal((chunk.Room, chunk.Start, chunk.Count, chunk.Last), (back.Room, back.Start, back.Count, back.Last));
        Assert.Equal(chunk.Blocks, back.Blocks);
    }

    [Fact]
    public void Truncated_or_oversized_messages_are_protocol_errors()
    {
        var m = new InitMessage(new RoomId(1), 10, 16, [1]);
        var buf = new byte[m.Size];
        m.Write(buf);
        Assert.Throws<KvProtocolException>(() => InitMessage.Parse(buf.AsSpan(0, buf.Length - 1)));
        BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(16), int.MaxValue); // absurd block count
        var ex = Assert.Throws<KvProtocolException>(() => InitMessage.Parse(buf));
        Assert.Contains("out of range", ex.Message);
        var trailing = new byte[m.Size + 1];
        m.Write(trailing);
        Assert.Throws<KvProtocolException>(() => InitMessage.Parse(trailing));
    }

    [Fact]
    public void Endpoints_parse_or_fail_clearly()
    {
        Assert.Equal(new KvEndpoint("10.0.0.2", 7000), KvEndpoint.Parse("10.0.0.2:7000"));
        Assert.Contains("host:port", Assert.Throws<FormatException>(() => KvEndpoint.Parse("nohost")).Message);
        Assert.Throws<FormatException>(() => KvEndpoint.Parse("h:70000"));
    }

    private delegate T Parser<T>(ReadOnlySpan<byte> s);

    private delegate void Writer(Span<byte> s);

    private static T Rt<T>(int size, Writer write, Parser<T> parse)
    {
        var buf = new byte[size];
        write(buf);
        return parse(buf);
    }
}
