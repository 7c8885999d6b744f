using System.Text.Json;

namespace CyLlm.Training.Export;

/// <summary>
/// Builds a safetensors file of F32 tensors: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}},
/// padded with spaces to a multiple of 8, then the raw little-endian data in header order.
/// </summary>
public static class SafetensorsWriter
{
    public static byte[] Build(IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            long bytes = (long)data.Length * 4;
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes((ulong)padded));
        ms.Write(json);
        for (int i = json.Length; i < padded; i++)
        {
            ms.WriteByte((byte)' ');
        }

        foreach (var (_, _, data) in tensors)
        {
            ms.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        }

        return ms.ToArray();
    }
}
