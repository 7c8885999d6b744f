using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using CyLlm.Tensors;

namespace CyLlm.Models.Gguf;

/// <summary>
/// Parses a GGUF v2/v3 header (magic, version, tensor count, KV count, KV pairs, tensor infos) from the
/// bytes of a file. Every count and length is checked against the bytes that remain before anything is
/// allocated, so a hostile file fails fast with a one-line <see cref="ModelFormatException"/> instead of
/// allocating gigabytes, overflowing, or reading past the end.
/// </summary>
public ref partial struct GgufReader
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Alignment of the data section and of each tensor when general.alignment is absent.</summary>
    public const int DefaultAlignment = 32;

    // ggml's GGML_MAX_DIMS.
    private const int MaxDims = 4;

    // A tensor of more elements than this is not a weight of any model we can run; the bound also keeps
    // every size computation below far from overflowing a long.
    private const long MaxElements = 1L << 42;

    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    private GgufReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    private readonly long Remaining => _data.Length - _pos;

    /// <summary>
    /// Parses the header. <paramref name="data"/> is the start of the file (all of it, or at least the first
    /// int.MaxValue bytes of a bigger one); <paramref name="fileLength"/> is the whole file's length, against
    /// which tensor extents are checked. <paramref name="name"/> prefixes error messages.
    /// </summary>
    public static GgufHeader ReadHeader(ReadOnlySpan<byte> data, long fileLength, string name)
    {
        Debug.Assert(fileLength >= data.Length, "the span is a prefix of the file");
        try
        {
            var r = new GgufReader(data);
            return r.Header(fileLength);
        }
        catch (ModelFormatException e)
        {
            throw new ModelFormatException(FormatMessages.OneLine($"{name}: {e.Message}"));
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
            throw new ModelFormatException(version switch
            {
                1 => "unsupported GGUF version 1 (the pre-release format with 32-bit counts; re-convert the model with a current llama.cpp)",
                0x02000000 or 0x03000000 => "big-endian GGUF files are not supported",
                _ => $"unsupported GGUF version {version} (2 and 3 are supported)",
            });
        }

        ulong tensorCount = U64();
        ulong kvCount = U64();

        // The smallest KV is a key length (8) + value type (4) + a 1-byte value; the smallest tensor info is
        // a name length (8) + n_dims (4) + one dim (8) + type (4) + offset (8).
        if (kvCount > (ulong)Remaining / 13)
        {
            throw new ModelFormatException($"metadata count {kvCount} is impossible for a file of {fileLength} bytes");
        }

        if (tensorCount > (ulong)Remaining / 32)
        {
            throw new ModelFormatException($"tensor count {tensorCount} is impossible for a file of {fileLength} bytes");
        }

        var meta = new Dictionary<string, object>((int)Math.Min(kvCount, 4096), StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = String("metadata key");
            var type = (GgufValueType)U32();
            object value = Value(type, key, 0);
            if (!meta.TryAdd(key, value))
            {
                throw new ModelFormatException($"duplicate metadata key '{key}'");
            }
        }

        int alignment = Alignment(meta);
        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var t = TensorInfo(alignment);
            if (!names.Add(t.Name))
            {
                throw new ModelFormatException($"duplicate tensor name '{t.Name}'");
            }

            tensors.Add(t);
        }

        long dataOffset = ((long)_pos + alignment - 1) / alignment * alignment;
        CheckExtents(tensors, dataOffset, fileLength);
        return new GgufHeader(version, meta, tensors, dataOffset, alignment);
    }

    private static int Alignment(Dictionary<string, object> meta)
    {
        if (!meta.TryGetValue("general.alignment", out var a))
        {
            return DefaultAlignment;
        }

        long al = a switch
        {
            uint u => u,
            int i => i,
            ulong u64 => u64 > int.MaxValue ? -1 : (long)u64,
            long l => l,
            ushort us => us,
            short s => s,
            byte b => b,
            sbyte sb => sb,
            _ => throw new ModelFormatException($"general.alignment has type {a.GetType().Name}; an integer is required"),
        };
        if (al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0)
        {
            throw new ModelFormatException($"general.alignment {al} is not a power of two up to 1 MiB");
        }

        return (int)al;
    }

    private GgufTensorInfo TensorInfo(int alignment)
    {
        string name = String("tensor name");
        uint dims = U32();
        if (dims is 0 or > MaxDims)
        {
            throw new ModelFormatException($"tensor '{name}' has {dims} dimensions (1 to {MaxDims} allowed)");
        }

        var shape = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++)
        {
            ulong n = U64();
            if (n == 0 || n > int.MaxValue)
            {
                throw new ModelFormatException($"tensor '{name}' has dimension {d} of size {n} (1 to 2^31-1 allowed)");
            }

            // elements ≤ MaxElements (2^42) and n < 2^31, so the test below cannot overflow.
            if ((long)n > MaxElements / elements)
            {
                throw new ModelFormatException($"tensor '{name}' shape [{string.Join(", ", shape[..d])}, {n}, ...] has more than 2^42 elements");
            }

            shape[d] = (long)n;
            elements *= (long)n;
        }

        uint rawType = U32();
        if (!GgmlTypeInfo.IsKnown(rawType))
        {
            throw new ModelFormatException($"tensor '{name}' has unknown type {rawType}");
        }

        var type = (GgmlType)rawType;
        if (!GgmlTypeInfo.IsSupported(type))
        {
            throw new ModelFormatException($"tensor '{name}' has type {type}, which CyLlm does not support (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4)");
        }

        long rowBytes = GgmlTypeInfo.RowBytes(type, shape[0]);
        if (rowBytes < 0)
        {
            throw new ModelFormatException($"tensor '{name}' row of {shape[0]} elements is not a whole number of {type} blocks of {GgmlTypeInfo.BlockSize(type)}");
        }

        // Supported types take at most 4 bytes per element, so rowBytes · rows ≤ 4 · 2^42: no overflow.
        long bytes = rowBytes * (elements / shape[0]);
        ulong offset = U64();
        if (offset % (ulong)alignment != 0)
        {
            throw new ModelFormatException($"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
        }

        return new GgufTensorInfo(name, shape, type, offset, bytes);
    }

    /// <summary>Every tensor lies inside the file, and no two overlap.</summary>
    private static void CheckExtents(List<GgufTensorInfo> tensors, long dataOffset, long fileLength)
    {
        long dataBytes = fileLength - dataOffset;
        foreach (var t in tensors)
        {
            if (dataBytes < 0 || t.Offset > (ulong)dataBytes || t.ByteLength > dataBytes - (long)t.Offset)
            {
                throw new ModelFormatException($"tensor '{t.Name}' ({t.ByteLength} bytes at data offset {t.Offset}) extends past the end of the file ({fileLength} bytes, data from {dataOffset}): the file is truncated or corrupt");
            }
        }

        if (tensors.Count < 2)
        {
            return;
        }

        var byOffset = tensors.ToArray();
        System.Array.Sort(byOffset, static (a, b) => a.Offset.CompareTo(b.Offset));
        for (int i = 1; i < byOffset.Length; i++)
        {
            var prev = byOffset[i - 1];
            if ((long)prev.Offset + prev.ByteLength > (long)byOffset[i].Offset)
            {
                throw new ModelFormatException($"tensors '{prev.Name}' and '{byOffset[i].Name}' overlap in the data section");
            }
        }
    }

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

    private string String(string what)
    {
        ulong len = U64();
        if (len > (ulong)Remaining)
        {
            throw new ModelFormatException($"{what} length {len} at offset {_pos - 8} runs past the end of the file");
        }

        return Encoding.UTF8.GetString(Take((long)len));
    }
}
