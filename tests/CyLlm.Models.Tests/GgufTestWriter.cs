using System.Collections;
using System.Text;
using CyLlm.Models.Gguf;
using CyLlm.Tensors;

namespace CyLlm.Models.Tests;

/// <summary>
/// Writes small GGUF files for tests: any metadata (every value type, nested arrays), any tensors (raw bytes,
/// laid out aligned in order), v2 or v3, any alignment. <see cref="RawTensor"/> adds a tensor info written
/// exactly as given (type number, dims, offset) with no data, for hostile inputs.
/// </summary>
internal sealed class GgufTestWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _kv = [];
    private readonly List<(string Name, long[] Shape, GgmlType Type, byte[] Data)> _tensors = [];
    private readonly List<(string Name, ulong[] Dims, uint Type, ulong Offset)> _raw = [];

    public uint Version { get; init; } = 3;

    /// <summary>Alignment; a value other than 32 is also written as general.alignment (uint32).</summary>
    public int Alignment { get; init; } = 32;

    /// <summary>An array value for <see cref="Meta"/>: element type and elements.</summary>
    public static (GgufValueType, IList) Arr(GgufValueType elementType, IList items) => (elementType, items);

    public GgufTestWriter Meta(string key, GgufValueType type, object value)
    {
        _kv.Add((key, type, value));
        return this;
    }

    /// <summary>A KV pair written as key, <paramref name="rawType"/> and then <paramref name="payload"/> verbatim.</summary>
    public GgufTestWriter RawMeta(string key, uint rawType, byte[] payload)
    {
        _kv.Add((key, (GgufValueType)rawType, new Raw(payload)));
        return this;
    }

    /// <summary>Removes every KV pair named <paramref name="key"/>.</summary>
    public GgufTestWriter Without(string key)
    {
        _kv.RemoveAll(k => k.Key == key);
        _tensors.RemoveAll(t => t.Name == key);
        return this;
    }

    /// <summary>Replaces the value of <paramref name="key"/> (or adds it).</summary>
    public GgufTestWriter Set(string key, GgufValueType type, object value) => Without(key).Meta(key, type, value);

    public GgufTestWriter Tensor(string name, GgmlType type, long[] shape, byte[] data)
    {
        _tensors.Add((name, shape, type, data));
        return this;
    }

    /// <summary>The bytes given for tensor <paramref name="name"/>.</summary>
    public byte[] TensorData(string name) => _tensors.First(t => t.Name == name).Data;

    public GgufTestWriter RawTensor(string name, ulong[] dims, uint type, ulong offset)
    {
        _raw.Add((name, dims, type, offset));
        return this;
    }

    public byte[] Build()
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write("GGUF"u8);
        w.Write(Version);
        w.Write((ulong)(_tensors.Count + _raw.Count));
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
        foreach (var t in _tensors)
        {
            Str(w, t.Name);
            w.Write((uint)t.Shape.Length);
            foreach (var d in t.Shape)
            {
                w.Write((ulong)d);
            }

            w.Write((uint)t.Type);
            w.Write(offset);
            offset += (ulong)((t.Data.Length + Alignment - 1) / Alignment * Alignment);
        }

        foreach (var r in _raw)
        {
            Str(w, r.Name);
            w.Write((uint)r.Dims.Length);
            foreach (var d in r.Dims)
            {
                w.Write(d);
            }

            w.Write(r.Type);
            w.Write(r.Offset);
        }

        w.Flush();
        Pad(ms);
        for (int i = 0; i < _tensors.Count; i++)
        {
            ms.Write(_tensors[i].Data);
            if (i < _tensors.Count - 1)
            {
                Pad(ms);
            }
        }

        return ms.ToArray();
    }

    private void Pad(MemoryStream ms)
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

    private static void Value(BinaryWriter w, GgufValueType t, object v)
    {
        if (v is Raw raw)
        {
            w.Write(raw.Bytes);
            return;
        }

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
                    var (et, items) = ((GgufValueType, IList))v;
                    w.Write((uint)et);
                    w.Write((ulong)items.Count);
                    foreach (var item in items)
                    {
                        Value(w, et, item!);
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(t));
        }
    }

    private sealed record Raw(byte[] Bytes);

    /// <summary>
    /// A minimal valid one-layer model (4 heads, 2 KV heads, vocab 8): F32 norms and embedding, matrices of
    /// <paramref name="matrixType"/> (dim must be a multiple of that type's block). Qwen2 adds Q/K/V biases;
    /// Qwen3 (and Qwen3-MoE) adds the per-head attn_q_norm/attn_k_norm weights, [dim / 4] each, unless <paramref name="qkNorm"/> is false;
    /// Gemma 2/3 add post_attention_norm and post_ffw_norm, and Gemma 3 the head norms too.
    /// With <paramref name="experts"/> &gt; 0 the FFN is a mixture of that many experts of width 2·dim, <paramref name="expertsUsed"/> per token;
    /// qwen2moe adds the Q/K/V biases and a shared expert of width 3·dim (expert_shared_feed_forward_length);
    /// gpt-oss (with experts) adds Q/K/V/O biases, attention sinks, router and expert biases, a window of 8, and names the
    /// pre-FFN norm post_attention_norm.
    /// </summary>
    public static GgufTestWriter TinyLlama(GgmlType matrixType = GgmlType.F32, uint version = 3, int alignment = 32,
        int dim = 32, string arch = "llama", bool tied = false, int seed = 1, bool qkNorm = true, int experts = 0, int expertsUsed = 2)
    {
        int hidden = 2 * dim, vocab = 8, kvDim = dim / 2;
        var w = new GgufTestWriter { Version = version, Alignment = alignment }
            .Meta("general.architecture", GgufValueType.String, arch)
            .Meta("general.name", GgufValueType.String, "tiny")
            .Meta($"{arch}.embedding_length", GgufValueType.UInt32, dim)
            .Meta($"{arch}.feed_forward_length", GgufValueType.UInt32, hidden)
            .Meta($"{arch}.block_count", GgufValueType.UInt32, 1)
            .Meta($"{arch}.attention.head_count", GgufValueType.UInt32, 4)
            .Meta($"{arch}.attention.head_count_kv", GgufValueType.UInt32, 2)
            .Meta($"{arch}.context_length", GgufValueType.UInt32, 64)
            .Meta($"{arch}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-5f)
            .Meta("tokenizer.ggml.model", GgufValueType.String, "llama")
            .Meta("tokenizer.ggml.tokens", GgufValueType.Array, Arr(GgufValueType.String, new[] { "<unk>", "<s>", "</s>", "\u2581a", "\u2581b", "a", "b", "\u2581" }))
            .Meta("tokenizer.ggml.scores", GgufValueType.Array, Arr(GgufValueType.Float32, new[] { 0f, 0f, 0f, -1f, -2f, -3f, -4f, -5f }))
            .Meta("tokenizer.ggml.token_type", GgufValueType.Array, Arr(GgufValueType.Int32, new[] { 2, 3, 3, 1, 1, 1, 1, 1 }))
            .Meta("tokenizer.ggml.bos_token_id", GgufValueType.UInt32, 1u)
            .Meta("tokenizer.ggml.eos_token_id", GgufValueType.UInt32, 2u);
        var rng = new Random(seed);
        w.Tensor("token_embd.weight", GgmlType.F32, [dim, vocab], RandomRows(rng, GgmlType.F32, dim, vocab))
         .Tensor("output_norm.weight", GgmlType.F32, [dim], Ones(dim))
         .Tensor("blk.0.attn_norm.weight", GgmlType.F32, [dim], Ones(dim));
        if (arch == "phi3")
        {
            // Phi-3: Q/K/V fused in one [dim, q + 2 kv] tensor.
            w.Tensor("blk.0.attn_qkv.weight", matrixType, [dim, dim + (2 * kvDim)], RandomRows(rng, matrixType, dim, dim + (2 * kvDim)));
        }
        else
        {
            w.Tensor("blk.0.attn_q.weight", matrixType, [dim, dim], RandomRows(rng, matrixType, dim, dim))
             .Tensor("blk.0.attn_k.weight", matrixType, [dim, kvDim], RandomRows(rng, matrixType, dim, kvDim))
             .Tensor("blk.0.attn_v.weight", matrixType, [dim, kvDim], RandomRows(rng, matrixType, dim, kvDim));
        }

        w.Tensor("blk.0.attn_output.weight", matrixType, [dim, dim], RandomRows(rng, matrixType, dim, dim))
         .Tensor(arch == "gpt-oss" ? "blk.0.post_attention_norm.weight" : "blk.0.ffn_norm.weight", GgmlType.F32, [dim], Ones(dim));
        if (experts > 0)
        {
            // Mixture of experts: the router and the merged 3-D expert tensors (ggml [cols, rows, experts]).
            w.Meta($"{arch}.expert_count", GgufValueType.UInt32, (uint)experts)
             .Meta($"{arch}.expert_used_count", GgufValueType.UInt32, (uint)expertsUsed)
             .Meta($"{arch}.expert_feed_forward_length", GgufValueType.UInt32, (uint)hidden)
             .Tensor("blk.0.ffn_gate_inp.weight", GgmlType.F32, [dim, experts], RandomRows(rng, GgmlType.F32, dim, experts))
             .Tensor("blk.0.ffn_gate_exps.weight", matrixType, [dim, hidden, experts], RandomRows(rng, matrixType, dim, hidden * experts))
             .Tensor("blk.0.ffn_up_exps.weight", matrixType, [dim, hidden, experts], RandomRows(rng, matrixType, dim, hidden * experts))
             .Tensor("blk.0.ffn_down_exps.weight", matrixType, [hidden, dim, experts], RandomRows(rng, matrixType, hidden, dim * experts));
            if (arch == "qwen2moe")
            {
                int shared = 3 * dim;
                w.Meta($"{arch}.expert_shared_feed_forward_length", GgufValueType.UInt32, (uint)shared)
                 .Tensor("blk.0.ffn_gate_inp_shexp.weight", GgmlType.F32, [dim], RandomRows(rng, GgmlType.F32, dim, 1))
                 .Tensor("blk.0.ffn_gate_shexp.weight", matrixType, [dim, shared], RandomRows(rng, matrixType, dim, shared))
                 .Tensor("blk.0.ffn_up_shexp.weight", matrixType, [dim, shared], RandomRows(rng, matrixType, dim, shared))
                 .Tensor("blk.0.ffn_down_shexp.weight", matrixType, [shared, dim], RandomRows(rng, matrixType, shared, dim));
            }
        }
        else if (arch == "phi3")
        {
            // Phi-3: the SwiGLU gate and up projections fused in one [dim, 2 ff] ffn_up.
            w.Tensor("blk.0.ffn_up.weight", matrixType, [dim, 2 * hidden], RandomRows(rng, matrixType, dim, 2 * hidden))
             .Tensor("blk.0.ffn_down.weight", matrixType, [hidden, dim], RandomRows(rng, matrixType, hidden, dim));
        }
        else
        {
            w.Tensor("blk.0.ffn_gate.weight", matrixType, [dim, hidden], RandomRows(rng, matrixType, dim, hidden))
             .Tensor("blk.0.ffn_up.weight", matrixType, [dim, hidden], RandomRows(rng, matrixType, dim, hidden))
             .Tensor("blk.0.ffn_down.weight", matrixType, [hidden, dim], RandomRows(rng, matrixType, hidden, dim));
        }

        if (arch == "gpt-oss")
        {
            // gpt-oss: a window on every other layer, the attention output bias, one sink per query head, and biases on the
            // router and every expert (ggml [n, experts]: one row per expert); its Q/K/V biases are added below.
            w.Meta($"{arch}.attention.sliding_window", GgufValueType.UInt32, 8u)
             .Tensor("blk.0.attn_output.bias", GgmlType.F32, [dim], RandomRows(rng, GgmlType.F32, dim, 1))
             .Tensor("blk.0.attn_sinks.weight", GgmlType.F32, [4], RandomRows(rng, GgmlType.F32, 4, 1))
             .Tensor("blk.0.ffn_gate_inp.bias", GgmlType.F32, [experts], RandomRows(rng, GgmlType.F32, experts, 1))
             .Tensor("blk.0.ffn_gate_exps.bias", GgmlType.F32, [hidden, experts], RandomRows(rng, GgmlType.F32, hidden, experts))
             .Tensor("blk.0.ffn_up_exps.bias", GgmlType.F32, [hidden, experts], RandomRows(rng, GgmlType.F32, hidden, experts))
             .Tensor("blk.0.ffn_down_exps.bias", GgmlType.F32, [dim, experts], RandomRows(rng, GgmlType.F32, dim, experts));
        }

        if (arch is "qwen2" or "qwen2moe" or "gpt-oss")
        {
            w.Tensor("blk.0.attn_q.bias", GgmlType.F32, [dim], RandomRows(rng, GgmlType.F32, dim, 1))
             .Tensor("blk.0.attn_k.bias", GgmlType.F32, [kvDim], RandomRows(rng, GgmlType.F32, kvDim, 1))
             .Tensor("blk.0.attn_v.bias", GgmlType.F32, [kvDim], RandomRows(rng, GgmlType.F32, kvDim, 1));
        }

        if (arch is "gemma2" or "gemma3")
        {
            w.Tensor("blk.0.post_attention_norm.weight", GgmlType.F32, [dim], Ones(dim))
             .Tensor("blk.0.post_ffw_norm.weight", GgmlType.F32, [dim], Ones(dim));
        }

        if (arch is "qwen3" or "qwen3moe" or "gemma3" && qkNorm)
        {
            w.Tensor("blk.0.attn_q_norm.weight", GgmlType.F32, [dim / 4], RandomRows(rng, GgmlType.F32, dim / 4, 1))
             .Tensor("blk.0.attn_k_norm.weight", GgmlType.F32, [dim / 4], RandomRows(rng, GgmlType.F32, dim / 4, 1));
        }

        if (!tied)
        {
            w.Tensor("output.weight", GgmlType.F32, [dim, vocab], RandomRows(rng, GgmlType.F32, dim, vocab));
        }

        return w;
    }

    /// <summary>Random contents for a [cols, rows] tensor of <paramref name="type"/>: small floats for F32,
    /// random bytes with a sane f16 scale at the start of each block otherwise.</summary>
    public static byte[] RandomRows(Random rng, GgmlType type, int cols, int rows)
    {
        var b = new byte[GgmlTypeInfo.RowBytes(type, cols) * rows];
        if (type == GgmlType.F32)
        {
            for (int i = 0; i < b.Length / 4; i++)
            {
                BitConverter.TryWriteBytes(b.AsSpan(i * 4), (float)((rng.NextDouble() * 2) - 1) * 0.1f);
            }

            return b;
        }

        rng.NextBytes(b);
        if (GgmlTypeInfo.BlockSize(type) > 1 && type != GgmlType.Q6_K)
        {
            int bb = GgmlTypeInfo.BlockBytes(type);
            for (int off = 0; off < b.Length; off += bb)
            {
                BitConverter.TryWriteBytes(b.AsSpan(off), Fp16.FromFloat(0.01f));
            }
        }

        return b;
    }

    private static byte[] Ones(int n)
    {
        var b = new byte[n * 4];
        for (int i = 0; i < n; i++)
        {
            BitConverter.TryWriteBytes(b.AsSpan(i * 4), 1f);
        }

        return b;
    }
}
