using System.Buffers.Binary;
using System.Text.Json;
using CyLlm.Tensors;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// The header of a .safetensors file: an 8-byte little-endian header length N, N bytes of JSON
/// {name: {"dtype", "shape" (row-major, outermost first), "data_offsets": [begin, end)}, "__metadata__": {...}},
/// then the data, offsets relative to byte 8 + N. Every entry is checked against the file (offsets inside it,
/// size = elements × dtype size for the dtypes we know, no overlaps) before anything points into it.
/// </summary>
public static unsafe class SafetensorsFile
{
    /// <summary>The format's own limit on the JSON header.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Parses the header of a file of <paramref name="fileLength"/> bytes whose first bytes are
    /// <paramref name="head"/> (at least 8 + N of them). Entry order follows the JSON.</summary>
    public static SafetensorsHeader ReadHeader(ReadOnlySpan<byte> head, long fileLength, string name)
    {
        try
        {
            return ParseGuarded(head, fileLength, name);
        }
        catch (ModelFormatException e) when (!ReferenceEquals(FormatMessages.OneLine(e.Message), e.Message))
        {
            throw new ModelFormatException(FormatMessages.OneLine(e.Message), e);
        }
    }

    private static SafetensorsHeader ParseGuarded(ReadOnlySpan<byte> head, long fileLength, string name)
    {
        try
        {
            return Parse(head, fileLength, name);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFormatException($"{name}: unreadable safetensors header text ({e.Message})", e);
        }
    }

    private static SafetensorsHeader Parse(ReadOnlySpan<byte> head, long fileLength, string name)
    {
        if (fileLength < 8 || head.Length < 8)
        {
            throw new ModelFormatException($"{name}: {fileLength} bytes is too short for a safetensors file");
        }

        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLen < 2 || headerLen > MaxHeaderBytes || headerLen > (ulong)(fileLength - 8) || (long)headerLen > head.Length - 8)
        {
            throw new ModelFormatException($"{name}: safetensors header length {headerLen} does not fit the {fileLength}-byte file");
        }

        long dataStart = 8 + (long)headerLen;
        long dataBytes = fileLength - dataStart;
        using var doc = HfJson.Parse(head.Slice(8, (int)headerLen).ToArray(), $"{name} (safetensors header)");
        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                if (p.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var kv in p.Value.EnumerateObject())
                    {
                        metadata[kv.Name] = kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()! : kv.Value.GetRawText();
                    }
                }

                continue;
            }

            if (!names.Add(p.Name))
            {
                throw new ModelFormatException($"{name}: duplicate tensor name '{p.Name}'");
            }

            entries.Add(Entry(p.Name, p.Value, dataBytes, name));
        }

        CheckOverlaps(entries, name);
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    /// <summary>
    /// Every tensor of a mapped file as a <see cref="WeightTensor"/> under its own (Hugging Face) name, with the
    /// shape reversed to ggml order ([out, in] → [in, out]). Dtypes other than F32, F16 and BF16 are an error.
    /// </summary>
    public static IReadOnlyList<WeightTensor> Read(MappedFile file)
    {
        string name = Path.GetFileName(file.Path);
        var header = ReadHeader(file.HeaderSpan, file.Length, name);
        var result = new List<WeightTensor>(header.Entries.Count);
        foreach (var e in header.Entries)
        {
            result.Add(ToWeight(file, header, e, e.Name));
        }

        return result;
    }

    /// <summary>A view of entry <paramref name="e"/> of a mapped file, named <paramref name="canonical"/>.</summary>
    internal static WeightTensor ToWeight(MappedFile file, SafetensorsHeader header, SafetensorsEntry e, string canonical)
    {
        string shard = Path.GetFileName(file.Path);
        var type = e.Dtype switch
        {
            "F32" => GgmlType.F32,
            "F16" => GgmlType.F16,
            "BF16" => GgmlType.BF16,
            _ => throw new ModelFormatException($"{shard}: tensor '{e.Name}' has dtype {e.Dtype} (supported: F32, F16, BF16)"),
        };
        if (e.Shape.Length is 0 or > 4 || Array.IndexOf(e.Shape, 0L) >= 0)
        {
            throw new ModelFormatException($"{shard}: tensor '{e.Name}' has shape [{string.Join(", ", e.Shape)}]; 1 to 4 non-zero dimensions are needed");
        }

        var shape = (long[])e.Shape.Clone();
        Array.Reverse(shape); // row-major [out, in] → ggml [in, out]
        return new WeightTensor
        {
            Name = canonical,
            Type = type,
            Shape = shape,
            Data = (nint)(file.Pointer + header.DataStart + e.Begin),
            ByteLength = e.End - e.Begin,
        };
    }

    /// <summary>Bytes per element of a safetensors dtype; 0 when unknown (sub-byte or exotic types).</summary>
    public static int DtypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" or "F8_E8M0" => 1,
        _ => 0,
    };

    private static SafetensorsEntry Entry(string tensor, JsonElement e, long dataBytes, string name)
    {
        string? dtype = HfJson.Str(e, "dtype");
        var shapeJson = HfJson.Arr(e, "shape");
        var offsJson = HfJson.Arr(e, "data_offsets");
        if (dtype is null || shapeJson is null || offsJson is null || offsJson.Value.GetArrayLength() != 2 || shapeJson.Value.GetArrayLength() > 8)
        {
            throw new ModelFormatException($"{name}: tensor '{tensor}' lacks a dtype, a shape or two data_offsets");
        }

        var shape = new long[shapeJson.Value.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in shapeJson.Value.EnumerateArray())
        {
            long n = HfJson.AsLong(d) ?? -1;
            if (n < 0 || n > int.MaxValue)
            {
                throw new ModelFormatException($"{name}: tensor '{tensor}' has an invalid dimension {d.GetRawText()}");
            }

            // elements ≤ 2^45 before the multiply (checked below) and n < 2^31: no overflow.
            elements *= n;
            if (elements > 1L << 45)
            {
                throw new ModelFormatException($"{name}: tensor '{tensor}' has an absurd element count");
            }

            shape[i++] = n;
        }

        long begin = HfJson.AsLong(offsJson.Value[0]) ?? -1;
        long end = HfJson.AsLong(offsJson.Value[1]) ?? -1;
        if (begin < 0 || end < begin || end > dataBytes)
        {
            throw new ModelFormatException($"{name}: tensor '{tensor}' data [{begin}, {end}) is outside the {dataBytes} data bytes: the file is truncated or corrupt");
        }

        int size = DtypeSize(dtype);
        if (size > 0 && end - begin != elements * size)
        {
            throw new ModelFormatException($"{name}: tensor '{tensor}' ({dtype} [{string.Join(", ", shape)}]) needs {elements * size} bytes but its data_offsets span {end - begin}");
        }

        return new SafetensorsEntry(tensor, dtype, shape, begin, end);
    }

    private static void CheckOverlaps(List<SafetensorsEntry> entries, string name)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, static (a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Begin < sorted[i - 1].End)
            {
                throw new ModelFormatException($"{name}: tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap");
            }
        }
    }
}
