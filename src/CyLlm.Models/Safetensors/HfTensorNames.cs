namespace CyLlm.Models.Safetensors;

/// <summary>Hugging Face (transformers Llama/Mistral/Qwen2/Qwen3/Gemma2/Gemma3/Phi3) tensor names → canonical GGUF names.</summary>
public static class HfTensorNames
{
    private static readonly Dictionary<string, string> LayerMap = new(StringComparer.Ordinal)
    {
        ["input_layernorm.weight"] = "attn_norm.weight",
        ["self_attn.q_proj.weight"] = "attn_q.weight",
        ["self_attn.k_proj.weight"] = "attn_k.weight",
        ["self_attn.v_proj.weight"] = "attn_v.weight",
        ["self_attn.q_proj.bias"] = "attn_q.bias",
        ["self_attn.k_proj.bias"] = "attn_k.bias",
        ["self_attn.v_proj.bias"] = "attn_v.bias",
        ["self_attn.o_proj.weight"] = "attn_output.weight",
        ["self_attn.q_norm.weight"] = "attn_q_norm.weight",
        ["self_attn.k_norm.weight"] = "attn_k_norm.weight",
        ["post_attention_layernorm.weight"] = "ffn_norm.weight",
        ["mlp.gate_proj.weight"] = "ffn_gate.weight",
        ["mlp.up_proj.weight"] = "ffn_up.weight",
        ["mlp.down_proj.weight"] = "ffn_down.weight",
        // Phi-3: fused [q + 2·kv, dim] (query, key, value rows) and [2·ff, dim] (gate rows, then up rows), as in GGUF.
        ["self_attn.qkv_proj.weight"] = "attn_qkv.weight",
        ["mlp.gate_up_proj.weight"] = "ffn_up.weight",
    };

    // Gemma layers have four norms: post_attention_layernorm is the norm of the attention output (not the FFN
    // input norm it is in Llama), pre_feedforward_layernorm the FFN input norm.
    private static readonly Dictionary<string, string> GemmaLayerMap = new(StringComparer.Ordinal)
    {
        ["post_attention_layernorm.weight"] = "post_attention_norm.weight",
        ["pre_feedforward_layernorm.weight"] = "ffn_norm.weight",
        ["post_feedforward_layernorm.weight"] = "post_ffw_norm.weight",
    };

    /// <summary>
    /// The canonical name of <paramref name="hf"/>; null for tensors that carry no weights (the rotary
    /// inv_freq buffer older checkpoints saved); unknown names are returned unchanged so that the model
    /// validation reports them as unsupported instead of dropping them silently.
    /// </summary>
    public static string? Canonical(string hf) => Canonical(hf, gemma: false);

    /// <summary><see cref="Canonical(string)"/> with Gemma's layer-norm names when <paramref name="gemma"/>.</summary>
    public static string? Canonical(string hf, bool gemma)
    {
        switch (hf)
        {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
        }

        const string prefix = "model.layers.";
        if (!hf.StartsWith(prefix, StringComparison.Ordinal))
        {
            return hf;
        }

        int dot = hf.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(hf.AsSpan(prefix.Length, dot - prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer))
        {
            return hf;
        }

        string rest = hf[(dot + 1)..];
        if (rest.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return null;
        }

        if (gemma && GemmaLayerMap.TryGetValue(rest, out var g))
        {
            return $"blk.{layer}.{g}";
        }

        return LayerMap.TryGetValue(rest, out var suffix) ? $"blk.{layer}.{suffix}" : hf;
    }
}
