using System.Buffers.Binary;

namespace CyLlm.Models.Gguf;

/// <summary>
/// Metadata values. Scalars become the matching CLR type (byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double); arrays of scalars become typed arrays (byte[] ... string[]) and arrays of
/// arrays become object[] of those.
/// </summary>
public ref partial struct GgufReader
{
    // Deeper nesting than this is not used by any writer; the bound keeps recursion shallow on hostile input.
    private const int MaxArrayNesting = 4;

    private object Value(GgufValueType type, string key, int depth) => type switch
    {
        GgufValueType.UInt8 => U8(),
        GgufValueType.Int8 => (sbyte)U8(),
        GgufValueType.UInt16 => U16(),
        GgufValueType.Int16 => (short)U16(),
        GgufValueType.UInt32 => U32(),
        GgufValueType.Int32 => (int)U32(),
        GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4)),
        GgufValueType.Bool => Bool(),
        GgufValueType.String => String($"value of '{key}'"),
        GgufValueType.UInt64 => U64(),
        GgufValueType.Int64 => (long)U64(),
        GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8)),
        GgufValueType.Array => Array(key, depth),
        _ => throw new ModelFormatException($"metadata '{key}' has unknown value type {(uint)type}"),
    };

    // Any non-zero byte is true, as llama.cpp reads it.
    private bool Bool() => U8() != 0;

    /// <summary>Bytes the smallest element of <paramref name="t"/> takes; 0 for an unknown type.</summary>
    private static long MinSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 12, // element type + count
        _ => 0,
    };

    private object Array(string key, int depth)
    {
        if (depth >= MaxArrayNesting)
        {
            throw new ModelFormatException($"metadata '{key}' nests arrays deeper than {MaxArrayNesting}");
        }

        var elemType = (GgufValueType)U32();
        ulong count = U64();
        long minSize = MinSize(elemType);
        if (minSize == 0)
        {
            throw new ModelFormatException($"metadata '{key}' is an array of unknown element type {(uint)elemType}");
        }

        // Checked before allocating: a count the remaining bytes cannot hold is a corrupt or hostile file.
        if (count > (ulong)(Remaining / minSize))
        {
            throw new ModelFormatException($"metadata '{key}': array of {count} elements runs past the end of the file");
        }

        int n = (int)count;
        switch (elemType)
        {
            case GgufValueType.UInt8:
                return Take(n).ToArray();
            case GgufValueType.Int8:
                {
                    var a = new sbyte[n];
                    Take(n).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
                    return a;
                }

            case GgufValueType.Bool:
                {
                    var a = new bool[n];
                    for (int i = 0; i < n; i++)
                    {
                        a[i] = Bool();
                    }

                    return a;
                }

            case GgufValueType.UInt16:
                return Fill<ushort>(n, 2, static s => BinaryPrimitives.ReadUInt16LittleEndian(s));
            case GgufValueType.Int16:
                return Fill<short>(n, 2, static s => BinaryPrimitives.ReadInt16LittleEndian(s));
            case GgufValueType.UInt32:
                return Fill<uint>(n, 4, static s => BinaryPrimitives.ReadUInt32LittleEndian(s));
            case GgufValueType.Int32:
                return Fill<int>(n, 4, static s => BinaryPrimitives.ReadInt32LittleEndian(s));
            case GgufValueType.Float32:
                return Fill<float>(n, 4, static s => BinaryPrimitives.ReadSingleLittleEndian(s));
            case GgufValueType.UInt64:
                return Fill<ulong>(n, 8, static s => BinaryPrimitives.ReadUInt64LittleEndian(s));
            case GgufValueType.Int64:
                return Fill<long>(n, 8, static s => BinaryPrimitives.ReadInt64LittleEndian(s));
            case GgufValueType.Float64:
                return Fill<double>(n, 8, static s => BinaryPrimitives.ReadDoubleLittleEndian(s));
            case GgufValueType.String:
                {
                    var a = new string[n];
                    for (int i = 0; i < n; i++)
                    {
                        a[i] = String($"element {i} of '{key}'");
                    }

                    return a;
                }

            default:
                {
                    var a = new object[n];
                    for (int i = 0; i < n; i++)
                    {
                        a[i] = Array(key, depth + 1);
                    }

                    return a;
                }
        }
    }

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes);

    private T[] Fill<T>(int n, int size, Decode<T> decode)
    {
        // The caller checked n · size ≤ Remaining, so Take cannot fail and the product cannot overflow.
        var src = Take((long)n * size);
        var a = new T[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = decode(src.Slice(i * size, size));
        }

        return a;
    }
}
