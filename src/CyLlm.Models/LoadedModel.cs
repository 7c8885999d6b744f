using CyLlm.Tokenizers;

namespace CyLlm.Models;

/// <summary>
/// A model file opened for inference: its configuration, its weights (views into the memory-mapped
/// file, never copied) under canonical GGUF names, and its tokenizer description.
/// Canonical names: token_embd.weight, output_norm.weight, output.weight (absent when tied),
/// blk.{i}.attn_norm.weight, blk.{i}.attn_q.weight, blk.{i}.attn_k.weight, blk.{i}.attn_v.weight,
/// blk.{i}.attn_q.bias, blk.{i}.attn_k.bias, blk.{i}.attn_v.bias (Qwen2), blk.{i}.attn_q_norm.weight,
/// blk.{i}.attn_k_norm.weight (Qwen3, [head_dim] each), blk.{i}.attn_output.weight,
/// blk.{i}.ffn_norm.weight, blk.{i}.ffn_gate.weight, blk.{i}.ffn_up.weight, blk.{i}.ffn_down.weight,
/// blk.{i}.post_attention_norm.weight and blk.{i}.post_ffw_norm.weight (Gemma, [dim] each); in a
/// mixture-of-experts model, instead of the FFN's three matrices, blk.{i}.ffn_gate_inp.weight (router) and the 3-D
/// blk.{i}.ffn_gate_exps.weight, blk.{i}.ffn_up_exps.weight, blk.{i}.ffn_down_exps.weight (one matrix per expert).
/// Q and K weights are stored so that <see cref="ModelConfig.RopeLayout"/> describes the rotation pairs.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private readonly IDisposable[] _owned;

    public LoadedModel(
        string format,
        ModelConfig config,
        IReadOnlyDictionary<string, WeightTensor> tensors,
        TokenizerData? tokenizer,
        IReadOnlyDictionary<string, object> metadata,
        long fileBytes,
        params IDisposable[] owned)
    {
        Format = format;
        Config = config;
        Tensors = tensors;
        Tokenizer = tokenizer;
        Metadata = metadata;
        FileBytes = fileBytes;
        _owned = owned;
    }

    /// <summary>"gguf", "llama2c" or "safetensors".</summary>
    public string Format { get; }

    public ModelConfig Config { get; }
    public IReadOnlyDictionary<string, WeightTensor> Tensors { get; }
    public TokenizerData? Tokenizer { get; }

    /// <summary>Raw metadata key/values (GGUF KV pairs, config.json fields); for inspection only.</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>Total bytes of the weight files.</summary>
    public long FileBytes { get; }

    /// <summary>The same model with another tokenizer; ownership of the mapped files moves to the result.</summary>
    public LoadedModel WithTokenizer(TokenizerData tokenizer) =>
        new(Format, Config, Tensors, tokenizer, Metadata, FileBytes, _owned);

    public WeightTensor Get(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new ModelFormatException($"model has no tensor '{name}'");

    public WeightTensor? TryGet(string name) => Tensors.TryGetValue(name, out var t) ? t : null;

    /// <summary>Hands the resident pages of a mapped range back to the OS (see <see cref="MappedFile.ReleasePages"/>).</summary>
    public void ReleasePages(nint address, long length)
    {
        foreach (var d in _owned)
        {
            if (d is MappedFile f && f.Contains(address))
            {
                f.ReleasePages(address, length);
            }
        }
    }

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }
}
