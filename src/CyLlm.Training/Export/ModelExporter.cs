using CyLlm.Models;
using CyLlm.Training.Model;

namespace CyLlm.Training.Export;

/// <summary>
/// Writes a trained model as a GGUF file the engine loads: architecture "llama" (or "qwen2"), the hyperparameter keys
/// of <see cref="ModelConfig"/>, every tokenizer.* key copied from a base GGUF, and all weights in F32 or F16 (norms and
/// biases stay F32). LoRA modules still attached are merged into a copy of the weights first.
/// </summary>
public static class ModelExporter
{
    public static void WriteGguf(LlamaTrainingModel model, string path, IReadOnlyDictionary<string, object>? baseMetadata, bool f16 = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.LoraSettings is not null)
        {
            throw new InvalidOperationException("merge the LoRA adapters (LlamaTrainingModel.MergeLora) before exporting a full model");
        }

        var c = model.Config;
        string arch = c.Architecture == ModelArchitecture.Qwen2 ? "qwen2" : "llama";
        var w = new GgufWriter()
            .Meta("general.architecture", arch)
            .Meta("general.name", name ?? c.Name ?? "cyllm-trained")
            .Meta("general.file_type", f16 ? 1u : 0u)
            .Meta($"{arch}.context_length", (uint)c.ContextLength)
            .Meta($"{arch}.embedding_length", (uint)c.Dim)
            .Meta($"{arch}.block_count", (uint)c.Layers)
            .Meta($"{arch}.feed_forward_length", (uint)c.HiddenDim)
            .Meta($"{arch}.attention.head_count", (uint)c.Heads)
            .Meta($"{arch}.attention.head_count_kv", (uint)c.KvHeads)
            .Meta($"{arch}.attention.layer_norm_rms_epsilon", c.RmsNormEps)
            .Meta($"{arch}.rope.freq_base", c.RopeTheta)
            .Meta($"{arch}.rope.dimension_count", (uint)(c.RopeDimensions > 0 ? c.RopeDimensions : c.HeadDim));
        if (c.HeadDim * c.Heads != c.Dim)
        {
            w.Meta($"{arch}.attention.key_length", (uint)c.HeadDim).Meta($"{arch}.attention.value_length", (uint)c.HeadDim);
        }

        if (baseMetadata is not null)
        {
            foreach (var (k, v) in baseMetadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (k.StartsWith("tokenizer.", StringComparison.Ordinal))
                {
                    w.Meta(k, v);
                }
            }
        }

        foreach (var p in model.AllParameters())
        {
            long[] shape = p.Rows == 1 ? [p.Cols] : [p.Cols, p.Rows];
            w.Tensor(p.Name, p.Data, shape, f16);
        }

        File.WriteAllBytes(path, w.Build());
    }
}
