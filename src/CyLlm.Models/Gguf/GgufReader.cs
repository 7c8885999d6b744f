using System.Buffers.Binary;
using System.Text;
using CyLlm.Tensors;

namespace CyLlm.Models.Gguf;

/// <summary>
/// Parses a GGUF v2/v3 header from a bounded byte span (the memory-mapped file). Every count and length is
/// checked against the bytes that remain before anything is allocated, so a hostile file fails fast with a
/// <see cref="ModelFormatException"/> instead of allocating gigabytes or reading past the end.
/// </summary>
public ref struct GgufReader
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const int MaxArrayNesting = 4;
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    private GgufReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    /// <summary>Parses the header of <paramref name="file"/> (the whole file's bytes).</summary>
    public static GgufHeader ReadHeader(ReadOnlySpan<byte> file, string name)
    {
        try
        {
            var r = new GgufReader(file);
            return r.Header(file.Length);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException($"{name}: {e.Message}");
        }
    }

    private GgufHeader Header(long fileLength)
    {
        if (_data.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(_data) != Magic)
        {
            throw new ModelFormatException("not a GGUF file (bad magic)");
        }

        _pos = 4;
        uint version = U32();
        if (version is not (2 or 3))
        {
            throw new ModelFormatException($"unsupported GGUF version {version} (2 and 3 are supported)");
        }

        ulong tensorCount = U64();
        ulong kvCount = U64();
        // Each KV needs at least 8 (key length) + 4 (type) bytes, each tensor info at least 8 + 4 + 4 + 8.
        if (kvCount > (ulong)Remaining / 12)
        {
            throw new ModelFormatException($"metadata count {kvCount} is impossible for a file of {fileLength} bytes");
        }

        if (tensorCount > (ulong)Remaining / 24)
        {
            throw new ModelFormatException($"tensor count {tensorCount} is impossible for a file of {fileLength} bytes");
        }

        var meta = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = String();
            var type = (GgufValueType)U32();
            object value = Value(type, 0);
            if (!meta.TryAdd(key, value))
            {
                throw new ModelFormatException($"duplicate metadata key '{key}'");
            }
        }

        int alignment = 32;
        if (meta.TryGetValue("general.alignment", out var a))
        {
            long al = Convert.ToInt64(a, System.Globalization.CultureInfo.InvariantCulture);
            if (al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0)
            {
                throw new ModelFormatException($"general.alignment {al} is not a power of two");
            }

            alignment = (int)al;
        }

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string tname = String();
            uint dims = U32();
            if (dims is 0 or > 4)
            {
                throw new ModelFormatException($"tensor '{tname}' has {dims} dimensions (1 to 4 allowed)");
            }

            var shape = new long[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++)
            {
                ulong n = U64();
                if (n == 0 || n > int.MaxValue)
                {
                    throw new ModelFormatException($"tensor '{tname}' has dimension {d} of size {n}");
                }

                shape[d] = (long)n;
                elements = checked(elements * (long)n);
                if (elements > 1L << 40)
                {
                    throw new ModelFormatException($"tensor '{tname}' has an absurd element count");
                }
            }

            uint rawType = U32();
            if (!GgmlTypeInfo.IsKnown(rawType))
            {
                throw new ModelFormatException($"tensor '{tname}' has unknown type {rawType}");
            }

            var type = (GgmlType)rawType;
            if (!GgmlTypeInfo.IsSupported(type))
            {
                throw new ModelFormatException($"tensor '{tname}' has type {type}, which CyLlm does not support (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
            }

            long rowBytes = GgmlTypeInfo.RowBytes(type, shape[0]);
            if (rowBytes < 0)
            {
                throw new ModelFormatException($"tensor '{tname}' row of {shape[0]} elements is not a whole number of {type} blocks");
            }

            long bytes = checked(rowBytes * (elements / shape[0]));
            ulong offset = U64();
            if (offset % (ulong)alignment != 0)
            {
                throw new ModelFormatException($"tensor '{tname}' offset {offset} is not aligned to {alignment}");
            }

            if (!names.Add(tname))
            {
                throw new ModelFormatException($"duplicate tensor name '{tname}'");
            }

            tensors.Add(new GgufTensorInfo(tname, shape, type, offset, bytes));
        }

        long dataOffset = (_pos + alignment - 1) / alignment * alignment;
        foreach (var t in tensors)
        {
            if (t.Offset > (ulong)fileLength || (long)t.Offset + t.ByteLength > fileLength - dataOffset)
            {
                throw new ModelFormatException($"tensor '{t.Name}' ({t.ByteLength} bytes at data offset {t.Offset}) extends past the end of the file ({fileLength} bytes): the file is truncated or corrupt");
            }
        }

        return new GgufHeader(version, meta, tensors, dataOffset, alignment);
    }

    private readonly long Remaining => _data.Length - _pos;

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n < 0 || n > Remaining)
        {
            throw new ModelFormatException($"file truncated: needed {n} bytes at offset {_pos}, {Remaining} left");
        }

        var s = _data.Slice(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private byte U8() => Take(1)[0];

    private ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    private ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private string String()
    {
        ulong len = U64();
        if (len > (ulong)Remaining)
        {
            throw new ModelFormatException($"string length {len} at offset {_pos - 8} runs past the end of the file");
        }

        return Encoding.UTF8.GetString(Take((long)len));
    }

    private object Value(GgufValueType type, int depth) => type switch
    {
        GgufValueType.UInt8 => U8(),
        GgufValueType.Int8 => (sbyte)U8(),
        GgufValueType.UInt16 => U16(),
        GgufValueType.Int16 => (short)U16(),
        GgufValueType.UInt32 => U32(),
        GgufValueType.Int32 => (int)U32(),
        GgufValueType.Float32 => BitConverter.Int32BitsToSingle((int)U32()),
        GgufValueType.Bool => U8() != 0,
        GgufValueType.String => String(),
        GgufValueType.UInt64 => U64(),
        GgufValueType.Int64 => (long)U64(),
        GgufValueType.Float64 => BitConverter.Int64BitsToDouble((long)U64()),
        GgufValueType.Array => Array(depth),
        _ => throw new ModelFormatException($"unknown metadata value type {(uint)type} at offset {_pos - 4}"),
    };

    private object Array(int depth)
    {
        if (depth >= MaxArrayNesting)
        {
            throw new ModelFormatException("metadata arrays nested too deeply");
        }

        var elemType = (GgufValueType)U32();
        ulong count = U64();
        long minSize = elemType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
            GgufValueType.Array => 12,
            _ => throw new ModelFormatException($"unknown array element type {(uint)elemType}"),
        };
        if (count > (ulong)(Remaining / minSize))
        {
            throw new ModelFormatException($"array of {count} elements runs past the end of the file");
        }

        int n = (int)count;
        switch (elemType)
        {
            case GgufValueType.String:
            {
                var a = new string[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = String();
                }

                return a;
            }

            case GgufValueType.Float32:
            {
                var a = new float[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = BitConverter.Int32BitsToSingle((int)U32());
                }

                return a;
            }

            case GgufValueType.Int32:
            {
                var a = new int[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = (int)U32();
                }

                return a;
            }

            default:
            {
                var a = new object[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = Value(elemType, depth + 1);
                }

                return a;
            }
        }
    }
}
