using System.Text;
using CyLlm.Models.Gguf;
using CyLlm.Tensors;

namespace CyLlm.Training.Export;

/// <summary>
/// Writes GGUF v3 files: metadata (value types taken from the CLR type, as <see cref="GgufRawFile"/> reads them back),
/// then tensor infos and the data section, each tensor aligned to 32 bytes. Shapes are in ggml order (ne0 = the
/// contiguous dimension first), so a row-major matrix [rows, cols] has shape [cols, rows].
/// </summary>
public sealed class GgufWriter
{
    private const int Alignment = 32;
    private readonly List<(string Key, object Value)> _meta = [];
    private readonly List<(string Name, long[] Shape, GgmlType Type, byte[] Data)> _tensors = [];

    public GgufWriter Meta(string key, object value)
    {
        _meta.RemoveAll(m => m.Key == key);
        _meta.Add((key, value));
        return this;
    }

    /// <summary>Adds an F32 tensor, or F16 when <paramref name="f16"/> (1-D tensors always stay F32).</summary>
    public GgufWriter Tensor(string name, float[] data, long[] shape, bool f16 = false)
    {
        if (f16 && shape.Length > 1)
        {
            var bytes = new byte[data.Length * 2];
            for (int i = 0; i < data.Length; i++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), Fp16.FromFloat(data[i]));
            }

            _tensors.Add((name, shape, GgmlType.F16, bytes));
        }
        else
        {
            _tensors.Add((name, shape, GgmlType.F32, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray()));
        }

        return this;
    }

    public byte[] Build()
    {
        var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_meta.Count);
        foreach (var (k, v) in _meta)
        {
            Str(w, k);
            Value(w, v, k);
        }

        ulong offset = 0;
        foreach (var t in _tensors)
        {
            Str(w, t.Name);
            w.Write((uint)t.Shape.Length);
            foreach (long d in t.Shape)
            {
                w.Write((ulong)d);
            }

            w.Write((uint)t.Type);
            w.Write(offset);
            offset += (ulong)((t.Data.Length + Alignment - 1) / Alignment * Alignment);
        }

        w.Flush();
        Pad(ms);
        foreach (var t in _tensors)
        {
            ms.Write(t.Data);
            Pad(ms);
        }

        return ms.ToArray();
    }

    private static void Pad(MemoryStream ms)
    {
        while (ms.Length % Alignment != 0)
        {
            ms.WriteByte(0);
        }
    }

    private static void Str(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static GgufValueType TypeOf(object v, string key) => v switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        Array => GgufValueType.Array,
        _ => throw new ArgumentException($"metadata '{key}' has a value of type {v.GetType().Name} that GGUF cannot store"),
    };

    private static void Value(BinaryWriter w, object v, string key)
    {
        var type = TypeOf(v, key);
        w.Write((uint)type);
        Payload(w, v, type, key);
    }

    private static void Payload(BinaryWriter w, object v, GgufValueType type, string key)
    {
        switch (v)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: Str(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array a:
                {
                    var et = a.GetType().GetElementType()!;
                    GgufValueType elem = et == typeof(string) ? GgufValueType.String
                        : et == typeof(object) || et.IsArray ? GgufValueType.Array
                        : TypeOf(Activator.CreateInstance(et)!, key);
                    w.Write((uint)elem);
                    w.Write((ulong)a.Length);
                    foreach (var e in a)
                    {
                        if (elem == GgufValueType.Array)
                        {
                            Payload(w, e!, GgufValueType.Array, key); // a nested array: its element type, count and items
                        }
                        else
                        {
                            Payload(w, e!, elem, key);
                        }
                    }

                    break;
                }

            default:
                throw new ArgumentException($"metadata '{key}' of type {type} cannot be written");
        }
    }
}
