using System.Buffers.Binary;
using System.Text;

namespace CyLlm.Engine.Disaggregation;

/// <summary>Reads little-endian fields from a frame payload; every read checks bounds and throws <see cref="KvProtocolException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly ReadOnlySpan<byte> Rest => _data[_pos..];

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A count-prefixed (i32) array of i32, at most <paramref name="max"/> elements.</summary>
    public int[] I32Array(int max)
    {
        int n = I32();
        if (n < 0 || n > max || n > Remaining / 4)
        {
            throw new KvProtocolException($"array of {n} elements is out of range (at most {max})");
        }

        var a = new int[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = I32();
        }

        return a;
    }

    /// <summary>A u16-length-prefixed UTF-8 string.</summary>
    public string Utf8()
    {
        int n = U16();
        return Encoding.UTF8.GetString(Take(n));
    }

    public readonly void End()
    {
        if (Remaining != 0)
        {
            throw new KvProtocolException($"{Remaining} unexpected trailing bytes in a message");
        }
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (Remaining < n)
        {
            throw new KvProtocolException($"message truncated: needed {n} more bytes, {Remaining} left");
        }

        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }
}
