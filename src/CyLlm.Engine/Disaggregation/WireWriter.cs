using System.Buffers.Binary;
using System.Text;

namespace CyLlm.Engine.Disaggregation;

/// <summary>Writes little-endian fields into a buffer sized by the caller (the message's Size).</summary>
internal ref struct WireWriter(Span<byte> data)
{
    private readonly Span<byte> _data = data;
    private int _pos;

    public readonly int Written => _pos;

    public static int Utf8Size(string s) => 2 + Encoding.UTF8.GetByteCount(s);

    public void U8(byte v) => _data[_pos++] = v;

    public void U16(ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_data[_pos..], v);
        _pos += 2;
    }

    public void I32(int v)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_data[_pos..], v);
        _pos += 4;
    }

    public void U64(ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_data[_pos..], v);
        _pos += 8;
    }

    public void I32Array(ReadOnlySpan<int> a)
    {
        I32(a.Length);
        foreach (int v in a)
        {
            I32(v);
        }
    }

    public void Utf8(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        if (n > ushort.MaxValue)
        {
            throw new ArgumentException("string too long for the wire (64 KiB)");
        }

        U16((ushort)n);
        _pos += Encoding.UTF8.GetBytes(s, _data[_pos..]);
    }
}
