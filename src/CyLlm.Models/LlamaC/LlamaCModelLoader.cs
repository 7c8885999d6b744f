using System.Buffers.Binary;
using CyLlm.Tensors;

namespace CyLlm.Models.LlamaC;

/// <summary>
/// llama2.c checkpoints: the legacy (version 0) header of 7 int32 and the version-1 header ("ak42" magic,
/// 256 bytes). All weights are float32, row-major [out][in]; layer-stacked arrays become per-layer views
/// into the map. RoPE rotates adjacent pairs (llama2.c's complex multiplication).
/// </summary>
public static unsafe class LlamaCModelLoader
{
    private const uint Version1Magic = 0x616b3432;

    /// <summary>True when the file's first bytes look like a llama2.c checkpoint header.</summary>
    public static bool LooksLikeCheckpoint(ReadOnlySpan<byte> head)
    {
        if (head.Length < 28)
        {
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == Version1Magic)
        {
            return true;
        }

        int dim = BinaryPrimitives.ReadInt32LittleEndian(head);
        int layers = BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
        int heads = BinaryPrimitives.ReadInt32LittleEndian(head[12..]);
        return dim is > 0 and <= 65536 && layers is > 0 and <= 1024 && heads is > 0 and <= 1024;
    }

    public static LoadedModel Load(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Load(file, Path.GetFileName(path));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static LoadedModel Load(MappedFile file, string name)
    {
        var head = file.HeaderSpan;
        if (head.Length < 28)
        {
            throw new ModelFormatException($"{name}: too short for a llama2.c checkpoint header");
        }

        int version = 0;
        int offset = 0;
        bool? shared = null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == Version1Magic)
        {
            if (head.Length < 256)
            {
                throw new ModelFormatException($"{name}: truncated version-1 header");
            }

            version = BinaryPrimitives.ReadInt32LittleEndian(head[4..]);
            if (version != 1)
            {
                throw new ModelFormatException($"{name}: llama2.c checkpoint version {version} is not supported (0 and 1 are; version 2 is int8-quantized)");
            }

            offset = 8;
        }

        var prm = head.Slice(offset, 28);
        int dim = BinaryPrimitives.ReadInt32LittleEndian(prm);
        int hidden = BinaryPrimitives.ReadInt32LittleEndian(prm[4..]);
        int layers = BinaryPrimitives.ReadInt32LittleEndian(prm[8..]);
        int heads = BinaryPrimitives.ReadInt32LittleEndian(prm[12..]);
        int kvHeads = BinaryPrimitives.ReadInt32LittleEndian(prm[16..]);
        int vocab = BinaryPrimitives.ReadInt32LittleEndian(prm[20..]);
        int seqLen = BinaryPrimitives.ReadInt32LittleEndian(prm[24..]);
        if (version == 1)
        {
            shared = head[offset + 28] != 0;
        }
        else
        {
            shared = vocab > 0;
            vocab = Math.Abs(vocab);
        }

        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0
            || dim > 65536 || hidden > 1 << 20 || layers > 1024 || vocab > 1 << 22 || seqLen > 1 << 24
            || dim % heads != 0 || heads % kvHeads != 0)
        {
            throw new ModelFormatException($"{name}: implausible llama2.c header (dim {dim}, hidden {hidden}, layers {layers}, heads {heads}, kv heads {kvHeads}, vocab {vocab}, seq_len {seqLen})");
        }

        int headDim = dim / heads;
        int kvDim = kvHeads * headDim;
        long pos = version == 1 ? 256 : 28;
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);

        WeightTensor View(string tname, long cols, long rows)
        {
            long bytes = cols * rows * sizeof(float);
            if (pos + bytes > file.Length)
            {
                throw new ModelFormatException($"{name}: truncated: '{tname}' needs {bytes} bytes at offset {pos}, the file has {file.Length}");
            }

            var t = new WeightTensor
            {
                Name = tname,
                Type = GgmlType.F32,
                Shape = rows == 1 ? [cols] : [cols, rows],
                Data = (nint)(file.Pointer + pos),
                ByteLength = bytes,
            };
            pos += bytes;
            return t;
        }

        void Stacked(string suffix, long cols, long rows)
        {
            for (int l = 0; l < layers; l++)
            {
                var t = View($"blk.{l}.{suffix}", cols, rows);
                tensors[t.Name] = t;
            }
        }

        void Single(string tname, long cols, long rows)
        {
            var t = View(tname, cols, rows);
            tensors[t.Name] = t;
        }

        if (version == 0)
        {
            Single("token_embd.weight", dim, vocab);
            Stacked("attn_norm.weight", dim, 1);
            Stacked("attn_q.weight", dim, dim);
            Stacked("attn_k.weight", dim, kvDim);
            Stacked("attn_v.weight", dim, kvDim);
            Stacked("attn_output.weight", dim, dim);
            Stacked("ffn_norm.weight", dim, 1);
            Stacked("ffn_gate.weight", dim, hidden);   // w1
            Stacked("ffn_down.weight", hidden, dim);   // w2
            Stacked("ffn_up.weight", dim, hidden);     // w3
            Single("output_norm.weight", dim, 1);
            pos += 2L * seqLen * (headDim / 2) * sizeof(float); // freq_cis_real, freq_cis_imag: unused
            if (!shared.Value)
            {
                Single("output.weight", dim, vocab);
            }
        }
        else
        {
            Stacked("attn_norm.weight", dim, 1);
            Stacked("ffn_norm.weight", dim, 1);
            Single("output_norm.weight", dim, 1);
            Single("token_embd.weight", dim, vocab);
            Stacked("attn_q.weight", dim, dim);
            Stacked("attn_k.weight", dim, kvDim);
            Stacked("attn_v.weight", dim, kvDim);
            Stacked("attn_output.weight", dim, dim);
            Stacked("ffn_gate.weight", dim, hidden);
            Stacked("ffn_down.weight", hidden, dim);
            Stacked("ffn_up.weight", dim, hidden);
            if (!shared.Value)
            {
                Single("output.weight", dim, vocab);
            }
        }

        if (pos > file.Length)
        {
            throw new ModelFormatException($"{name}: truncated: the weights need {pos} bytes, the file has {file.Length}");
        }

        var config = new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            ContextLength = seqLen,
            RmsNormEps = 1e-5f,
            RopeTheta = 10000f,
            RopeDimensions = headDim,
            RopeLayout = RopeLayout.Interleaved,
            TiedEmbeddings = shared.Value,
            Name = Path.GetFileNameWithoutExtension(name),
        };
        var meta = new Dictionary<string, object>
        {
            ["llama2c.version"] = version,
            ["llama2c.dim"] = dim,
            ["llama2c.hidden_dim"] = hidden,
            ["llama2c.n_layers"] = layers,
            ["llama2c.n_heads"] = heads,
            ["llama2c.n_kv_heads"] = kvHeads,
            ["llama2c.vocab_size"] = vocab,
            ["llama2c.seq_len"] = seqLen,
            ["llama2c.shared_classifier"] = shared.Value,
        };
        return new LoadedModel("llama2c", config, tensors, null, meta, file.Length, file);
    }
}
