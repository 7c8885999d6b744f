using System.Buffers.Binary;
using System.Text.Json;
using CyLlm.Tensors;

namespace CyLlm.Models.Safetensors;

/// <summary>
/// One memory-mapped .safetensors file: an 8-byte little-endian header length, a JSON header of
/// {name: {dtype, shape, data_offsets: [begin, end]}} and the raw data. Shapes are row-major [out, in];
/// they are reported in ggml order ([in, out]) with names as given.
/// </summary>
public static unsafe class SafetensorsFile
{
    public static IEnumerable<WeightTensor> Read(MappedFile file)
    {
        string name = Path.GetFileName(file.Path);
        if (file.Length < 8)
        {
            throw new ModelFormatException($"{name}: too short for safetensors");
        }

        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
        if (headerLen == 0 || headerLen > 100_000_000 || (long)headerLen > file.Length - 8)
        {
            throw new ModelFormatException($"{name}: safetensors header length {headerLen} does not fit the {file.Length}-byte file");
        }

        long dataStart = 8 + (long)headerLen;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.Span(8, (int)headerLen).ToArray());
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{name}: safetensors header is not valid JSON ({e.Message})");
        }

        using (doc)
        {
            var result = new List<WeightTensor>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    continue;
                }

                var e = p.Value;
                string dtype = e.GetProperty("dtype").GetString() ?? "";
                var type = dtype switch
                {
                    "F32" => GgmlType.F32,
                    "F16" => GgmlType.F16,
                    "BF16" => GgmlType.BF16,
                    _ => throw new ModelFormatException($"{name}: tensor '{p.Name}' has dtype {dtype} (supported: F32, F16, BF16)"),
                };
                var dims = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offs = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (dims.Length is 0 or > 4 || dims.Any(d => d <= 0 || d > int.MaxValue) || offs.Length != 2)
                {
                    throw new ModelFormatException($"{name}: tensor '{p.Name}' has an invalid shape or offsets");
                }

                long elements = dims.Aggregate(1L, (a, b) => checked(a * b));
                long bytes = elements * (type == GgmlType.F32 ? 4 : 2);
                if (offs[0] < 0 || offs[1] - offs[0] != bytes || dataStart + offs[1] > file.Length)
                {
                    throw new ModelFormatException($"{name}: tensor '{p.Name}' data [{offs[0]}, {offs[1]}) does not match its shape or runs past the end");
                }

                Array.Reverse(dims); // row-major [out, in] → ggml [in, out]
                result.Add(new WeightTensor
                {
                    Name = p.Name,
                    Type = type,
                    Shape = dims,
                    Data = (nint)(file.Pointer + dataStart + offs[0]),
                    ByteLength = bytes,
                });
            }

            return result;
        }
    }
}
