using System.Buffers.Binary;
using System.Diagnostics;
using CyLlm.Tensors;

namespace CyLlm.Models.LlamaC;

/// <summary>
/// llama2.c checkpoints: the legacy (version 0) header of 7 int32 and the version-1 header ("ak42" magic,
/// version, the same 7 int32, a shared-classifier byte, zero padding to 256 bytes). All weights are float32,
/// row-major [out][in] (= ggml shape [in, out]); the layer-stacked arrays become per-layer views into the map,
/// never copies. RoPE rotates adjacent pairs (llama2.c's complex multiplication): <see cref="RopeLayout.Interleaved"/>.
/// </summary>
public static unsafe class LlamaCModelLoader
{
    /// <summary>"ak42" read as a little-endian uint32: the magic of versioned (v1, v2) checkpoints.</summary>
    public const uint VersionedMagic = 0x616b3432;

    private const int LegacyHeaderBytes = 7 * sizeof(int);
    private const int VersionedHeaderBytes = 256;

    /// <summary>
    /// True when <paramref name="head"/> (the first 28+ bytes) can start a llama2.c checkpoint: the "ak42" magic,
    /// or a legacy header whose first field (dim) is plausible. Loose on purpose: <see cref="Load(string)"/> then
    /// validates every field and the file size strictly, with a message that names the bad values, while text
    /// and other binaries (whose first int32 is large) stay "unrecognised".
    /// </summary>
    public static bool LooksLikeCheckpoint(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == VersionedMagic)
        {
            return true;
        }

        return head.Length >= LegacyHeaderBytes && Read(head, 0).Dim is > 0 and <= 65536;
    }

    public static LoadedModel Load(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Load(file.Pointer, file.Length, Path.GetFileName(path), file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint image of <paramref name="length"/> bytes at <paramref name="data"/>;
    /// <paramref name="owner"/>, if any, is disposed with the model.</summary>
    internal static LoadedModel Load(byte* data, long length, string name, IDisposable? owner)
    {
        Debug.Assert(data != null && length >= 0, "a valid image");
        var head = new ReadOnlySpan<byte>(data, (int)Math.Min(length, VersionedHeaderBytes));
        if (head.Length < LegacyHeaderBytes)
        {
            throw new ModelFormatException($"{name}: {length} bytes is too short for a llama2.c checkpoint header");
        }

        int version = 0;
        Header h;
        bool shared;
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == VersionedMagic)
        {
            if (head.Length < VersionedHeaderBytes)
            {
                throw new ModelFormatException($"{name}: truncated llama2.c header ({length} of {VersionedHeaderBytes} bytes)");
            }

            version = BinaryPrimitives.ReadInt32LittleEndian(head[4..]);
            if (version == 2)
            {
                throw new ModelFormatException($"{name}: llama2.c version-2 checkpoints (int8 group-quantized) are not supported; export version 1 (fp32) or convert to GGUF");
            }

            if (version != 1)
            {
                throw new ModelFormatException($"{name}: unknown llama2.c checkpoint version {version} (0 and 1 are supported)");
            }

            h = Read(head, 8);
            byte flag = head[8 + LegacyHeaderBytes];
            if (flag > 1)
            {
                throw new ModelFormatException($"{name}: shared-classifier flag {flag} is not 0 or 1");
            }

            shared = flag == 1;
        }
        else
        {
            h = Read(head, 0);
            shared = h.Vocab > 0; // a negative vocab size marks a separate classifier
            h = h with { Vocab = h.Vocab == int.MinValue ? 0 : Math.Abs(h.Vocab) };
        }

        if (h.Dim <= 0 || h.Hidden <= 0 || h.Layers <= 0 || h.Heads <= 0 || h.KvHeads <= 0 || h.Vocab <= 0 || h.SeqLen <= 0
            || h.Dim > 65536 || h.Hidden > 1 << 20 || h.Layers > 1024 || h.Heads > h.Dim || h.Vocab > 1 << 22 || h.SeqLen > 1 << 24
            || h.Dim % h.Heads != 0 || h.Heads % h.KvHeads != 0 || (h.Dim / h.Heads) % 2 != 0)
        {
            throw new ModelFormatException($"{name}: implausible llama2.c header (dim {h.Dim}, hidden {h.Hidden}, layers {h.Layers}, heads {h.Heads}, kv heads {h.KvHeads}, vocab {h.Vocab}, seq_len {h.SeqLen})");
        }

        int headDim = h.Dim / h.Heads;
        var layout = new Layout(data, length, name, version == 1 ? VersionedHeaderBytes : LegacyHeaderBytes);
        var tensors = version == 0 ? layout.Legacy(h, shared) : layout.Version1(h, shared);
        if (layout.Position != length)
        {
            throw new ModelFormatException($"{name}: a llama2.c v{version} checkpoint with these hyperparameters (dim {h.Dim}, hidden {h.Hidden}, layers {h.Layers}, heads {h.Heads}, kv heads {h.KvHeads}, vocab {h.Vocab}, seq_len {h.SeqLen}) is {layout.Position} bytes; the file has {length}");
        }

        var config = new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            Dim = h.Dim,
            HiddenDim = h.Hidden,
            Layers = h.Layers,
            Heads = h.Heads,
            KvHeads = h.KvHeads,
            HeadDim = headDim,
            VocabSize = h.Vocab,
            ContextLength = h.SeqLen,
            RmsNormEps = 1e-5f,
            RopeTheta = 10000f,
            RopeDimensions = headDim,
            RopeLayout = RopeLayout.Interleaved,
            TiedEmbeddings = shared,
            Name = Path.GetFileNameWithoutExtension(name),
        };
        ModelValidator.Validate(config, tensors, name);
        var meta = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["llama2c.version"] = version,
            ["llama2c.dim"] = h.Dim,
            ["llama2c.hidden_dim"] = h.Hidden,
            ["llama2c.n_layers"] = h.Layers,
            ["llama2c.n_heads"] = h.Heads,
            ["llama2c.n_kv_heads"] = h.KvHeads,
            ["llama2c.vocab_size"] = h.Vocab,
            ["llama2c.seq_len"] = h.SeqLen,
            ["llama2c.shared_classifier"] = shared,
        };
        return owner is null
            ? new LoadedModel("llama2c", config, tensors, null, meta, length)
            : new LoadedModel("llama2c", config, tensors, null, meta, length, owner);
    }

    private static Header Read(ReadOnlySpan<byte> head, int offset)
    {
        var p = head.Slice(offset, LegacyHeaderBytes);
        return new Header(
            BinaryPrimitives.ReadInt32LittleEndian(p),
            BinaryPrimitives.ReadInt32LittleEndian(p[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[20..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[24..]));
    }

    /// <summary>The seven hyperparameters of both header versions, in file order.</summary>
    private readonly record struct Header(int Dim, int Hidden, int Layers, int Heads, int KvHeads, int Vocab, int SeqLen);

    /// <summary>Walks the weights in file order, handing out views. Sizes are computed in long: with the
    /// header bounds above no product overflows.</summary>
    private sealed class Layout(byte* data, long length, string name, long start)
    {
        private readonly Dictionary<string, WeightTensor> _tensors = new(StringComparer.Ordinal);

        public long Position { get; private set; } = start;

        public Dictionary<string, WeightTensor> Legacy(Header h, bool shared)
        {
            long kvDim = (long)h.KvHeads * (h.Dim / h.Heads);
            Single("token_embd.weight", h.Dim, h.Vocab);
            Stacked(h, "attn_norm.weight", h.Dim, 1);
            Stacked(h, "attn_q.weight", h.Dim, h.Dim);
            Stacked(h, "attn_k.weight", h.Dim, kvDim);
            Stacked(h, "attn_v.weight", h.Dim, kvDim);
            Stacked(h, "attn_output.weight", h.Dim, h.Dim);
            Stacked(h, "ffn_norm.weight", h.Dim, 1);
            Stacked(h, "ffn_gate.weight", h.Dim, h.Hidden);   // w1
            Stacked(h, "ffn_down.weight", h.Hidden, h.Dim);   // w2
            Stacked(h, "ffn_up.weight", h.Dim, h.Hidden);     // w3
            Single("output_norm.weight", h.Dim, 1);
            Skip("freq_cis", 2L * h.SeqLen * (h.Dim / h.Heads / 2) * sizeof(float)); // real and imag: recomputed
            if (!shared)
            {
                Single("output.weight", h.Dim, h.Vocab);
            }

            return _tensors;
        }

        public Dictionary<string, WeightTensor> Version1(Header h, bool shared)
        {
            long kvDim = (long)h.KvHeads * (h.Dim / h.Heads);
            Stacked(h, "attn_norm.weight", h.Dim, 1);
            Stacked(h, "ffn_norm.weight", h.Dim, 1);
            Single("output_norm.weight", h.Dim, 1);
            Single("token_embd.weight", h.Dim, h.Vocab);
            Stacked(h, "attn_q.weight", h.Dim, h.Dim);
            Stacked(h, "attn_k.weight", h.Dim, kvDim);
            Stacked(h, "attn_v.weight", h.Dim, kvDim);
            Stacked(h, "attn_output.weight", h.Dim, h.Dim);
            Stacked(h, "ffn_gate.weight", h.Dim, h.Hidden);
            Stacked(h, "ffn_down.weight", h.Hidden, h.Dim);
            Stacked(h, "ffn_up.weight", h.Dim, h.Hidden);
            if (!shared)
            {
                Single("output.weight", h.Dim, h.Vocab);
            }

            return _tensors;
        }

        private void Stacked(Header h, string suffix, long cols, long rows)
        {
            for (int l = 0; l < h.Layers; l++)
            {
                Single($"blk.{l}.{suffix}", cols, rows);
            }
        }

        private void Single(string tname, long cols, long rows)
        {
            long bytes = cols * rows * sizeof(float);
            if (bytes > length - Position)
            {
                throw new ModelFormatException($"{name}: truncated: '{tname}' needs {bytes} bytes at offset {Position}, the file has {length}");
            }

            _tensors[tname] = new WeightTensor
            {
                Name = tname,
                Type = GgmlType.F32,
                Shape = rows == 1 ? [cols] : [cols, rows],
                Data = (nint)(data + Position),
                ByteLength = bytes,
            };
            Position += bytes;
        }

        private void Skip(string what, long bytes)
        {
            if (bytes > length - Position)
            {
                throw new ModelFormatException($"{name}: truncated: '{what}' needs {bytes} bytes at offset {Position}, the file has {length}");
            }

            Position += bytes;
        }
    }
}
