using System.Text;
using CyLlm.Models.Gguf;
using CyLlm.Tensors;

namespace CyLlm.Models.Tests;

/// <summary>Writes small GGUF files for tests: any metadata, any tensors (raw bytes), v2 or v3, any alignment.</summary>
internal sealed class GgufTestWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _kv = [];
    private readonly List<(string Name, long[] Shape, GgmlType Type, byte[] Data)> _tensors = [];

    public uint Version { get; init; } = 3;

    public int Alignment { get; init; } = 32;

    public GgufTestWriter Meta(string key, GgufValueType type, object value)
    {
        _kv.Add((key, type, value));
        return this;
    }

    public GgufTestWriter Tensor(string name, GgmlType type, long[] shape, byte[] data)
    {
        _tensors.Add((name, shape, type, data));
        return this;
    }

    public byte[] Build()
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write("GGUF"u8);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)(_kv.Count + (Alignment != 32 ? 1 : 0)));
        if (Alignment != 32)
        {
            Str(w, "general.alignment");
            w.Write((uint)GgufValueType.UInt32);
            w.Write((uint)Alignment);
        }

        foreach (var (k, t, v) in _kv)
        {
            Str(w, k);
            w.Write((uint)t);
            Value(w, t, v);
        }

        ulong offset = 0;
        var offsets = new List<ulong>();
        foreach (var t in _tensors)
        {
            offsets.Add(offset);
            offset += (ulong)((t.Data.Length + Alignment - 1) / Alignment * Alignment);
        }

        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            Str(w, t.Name);
            w.Write((uint)t.Shape.Length);
            foreach (var d in t.Shape)
            {
                w.Write((ulong)d);
            }

            w.Write((uint)t.Type);
            w.Write(offsets[i]);
        }

        w.Flush();
        while (ms.Length % Alignment != 0)
        {
            ms.WriteByte(0);
        }

        foreach (var t in _tensors)
        {
            ms.Write(t.Data);
            while (ms.Length % Alignment != 0)
            {
                ms.WriteByte(0);
            }
        }

        return ms.ToArray();
    }

    private static void Str(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void Value(BinaryWriter w, GgufValueType t, object v)
    {
        switch (t)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(v)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(v)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(v)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(v)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(v)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(v)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(v)); break;
            case GgufValueType.Bool: w.Write((bool)v ? (byte)1 : (byte)0); break;
            case GgufValueType.String: Str(w, (string)v); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(v)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(v)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(v)); break;
            case GgufValueType.Array:
            {
                var (et, items) = ((GgufValueType, System.Collections.IList))v;
                w.Write((uint)et);
                w.Write((ulong)items.Count);
                foreach (var item in items)
                {
                    Value(w, et, item!);
                }

                break;
            }
        }
    }

    /// <summary>A minimal valid one-layer llama model (dim 32, F32 weights) to mutate in hostile tests.</summary>
    public static GgufTestWriter TinyLlama(GgmlType matrixType = GgmlType.F32, uint version = 3, int alignment = 32)
    {
        const int dim = 32, hidden = 64, vocab = 8;
        var w = new GgufTestWriter { Version = version, Alignment = alignment }
            .Meta("general.architecture", GgufValueType.String, "llama")
            .Meta("general.name", GgufValueType.String, "tiny")
            .Meta("llama.embedding_length", GgufValueType.UInt32, dim)
            .Meta("llama.feed_forward_length", GgufValueType.UInt32, hidden)
            .Meta("llama.block_count", GgufValueType.UInt32, 1)
            .Meta("llama.attention.head_count", GgufValueType.UInt32, 4)
            .Meta("llama.attention.head_count_kv", GgufValueType.UInt32, 2)
            .Meta("llama.context_length", GgufValueType.UInt32, 64)
            .Meta("llama.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-5f)
            .Meta("tokenizer.ggml.model", GgufValueType.String, "llama")
            .Meta("tokenizer.ggml.tokens", GgufValueType.Array, (GgufValueType.String, (System.Collections.IList)new[] { "<unk>", "<s>", "</s>", "\u2581a", "\u2581b", "a", "b", "\u2581" }))
            .Meta("tokenizer.ggml.scores", GgufValueType.Array, (GgufValueType.Float32, (System.Collections.IList)new[] { 0f, 0f, 0f, -1f, -2f, -3f, -4f, -5f }))
            .Meta("tokenizer.ggml.token_type", GgufValueType.Array, (GgufValueType.Int32, (System.Collections.IList)new[] { 2, 3, 3, 1, 1, 1, 1, 1 }))
            .Meta("tokenizer.ggml.bos_token_id", GgufValueType.UInt32, 1u)
            .Meta("tokenizer.ggml.eos_token_id", GgufValueType.UInt32, 2u);
        var rng = new Random(1);
        byte[] M(GgmlType t, int cols, int rows)
        {
            var b = new byte[GgmlTypeInfo.RowBytes(t, cols) * rows];
            if (t == GgmlType.F32)
            {
                for (int i = 0; i < b.Length / 4; i++)
                {
                    BitConverter.TryWriteBytes(b.AsSpan(i * 4), (float)((rng.NextDouble() * 2) - 1) * 0.1f);
                }
            }
            else
            {
                rng.NextBytes(b);
                int bb = GgmlTypeInfo.BlockBytes(t);
                for (int off = 0; off < b.Length; off += bb)
                {
                    BitConverter.TryWriteBytes(b.AsSpan(off), Fp16.FromFloat(0.01f));
                }
            }

            return b;
        }

        byte[] Ones(int n) => Enumerable.Range(0, n).SelectMany(_ => BitConverter.GetBytes(1f)).ToArray();
        w.Tensor("token_embd.weight", GgmlType.F32, [dim, vocab], M(GgmlType.F32, dim, vocab))
         .Tensor("output_norm.weight", GgmlType.F32, [dim], Ones(dim))
         .Tensor("blk.0.attn_norm.weight", GgmlType.F32, [dim], Ones(dim))
         .Tensor("blk.0.attn_q.weight", matrixType, [dim, dim], M(matrixType, dim, dim))
         .Tensor("blk.0.attn_k.weight", matrixType, [dim, 16], M(matrixType, dim, 16))
         .Tensor("blk.0.attn_v.weight", matrixType, [dim, 16], M(matrixType, dim, 16))
         .Tensor("blk.0.attn_output.weight", matrixType, [dim, dim], M(matrixType, dim, dim))
         .Tensor("blk.0.ffn_norm.weight", GgmlType.F32, [dim], Ones(dim))
         .Tensor("blk.0.ffn_gate.weight", matrixType, [dim, hidden], M(matrixType, dim, hidden))
         .Tensor("blk.0.ffn_up.weight", matrixType, [dim, hidden], M(matrixType, dim, hidden))
         .Tensor("blk.0.ffn_down.weight", matrixType, [hidden, dim], M(matrixType, hidden, dim));
        return w;
    }
}
