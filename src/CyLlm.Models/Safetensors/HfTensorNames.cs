namespace CyLlm.Models.Safetensors;

/// <summary>Hugging Face (transformers Llama/Mistral/Mixtral/Qwen2/Qwen2-MoE/Qwen3/Qwen3-MoE/Gemma2/Gemma3/Phi3) tensor names →
/// canonical GGUF names.</summary>
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
        // Mixture of experts: the router ([experts, dim]); Qwen2-MoE's shared expert and its sigmoid gate ([1, dim]).
        ["block_sparse_moe.gate.weight"] = "ffn_gate_inp.weight",
        ["mlp.gate.weight"] = "ffn_gate_inp.weight",
        ["mlp.shared_expert.gate_proj.weight"] = "ffn_gate_shexp.weight",
        ["mlp.shared_expert.up_proj.weight"] = "ffn_up_shexp.weight",
        ["mlp.shared_expert.down_proj.weight"] = "ffn_down_shexp.weight",
        ["mlp.shared_expert_gate.weight"] = "ffn_gate_inp_shexp.weight",
    };

    // One matrix per expert in HF checkpoints; GGUF (and the engine) hold each layer's experts as one 3-D tensor.
    // Mixtral names its SwiGLU matrices w1 (gate), w3 (up) and w2 (down).
    private static readonly Dictionary<string, string> ExpertMap = new(StringComparer.Ordinal)
    {
        ["gate_proj.weight"] = "ffn_gate_exps.weight",
        ["up_proj.weight"] = "ffn_up_exps.weight",
        ["down_proj.weight"] = "ffn_down_exps.weight",
        ["w1.weight"] = "ffn_gate_exps.weight",
        ["w3.weight"] = "ffn_up_exps.weight",
        ["w2.weight"] = "ffn_down_exps.weight",
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

    /// <summary>
    /// For one expert's matrix (model.layers.{i}.mlp.experts.{e}.gate_proj.weight, Mixtral's
    /// model.layers.{i}.block_sparse_moe.experts.{e}.w1.weight, …): the canonical name of the stacked 3-D tensor it
    /// belongs to (blk.{i}.ffn_gate_exps.weight) and the expert's index; false for every other name.
    /// </summary>
    public static bool TryExpert(string hf, out string stacked, out int expert)
    {
        stacked = "";
        expert = -1;
        const string prefix = "model.layers.";
        if (!hf.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int dot = hf.IndexOf('.', prefix.Length);
        if (dot < 0 || !TryIndex(hf.AsSpan(prefix.Length, dot - prefix.Length), out int layer))
        {
            return false;
        }

        var rest = hf.AsSpan(dot + 1);
        foreach (var group in (ReadOnlySpan<string>)["mlp.experts.", "block_sparse_moe.experts."])
        {
            if (!rest.StartsWith(group, StringComparison.Ordinal))
            {
                continue;
            }

            var tail = rest[group.Length..];
            int end = tail.IndexOf('.');
            if (end < 0 || !TryIndex(tail[..end], out expert) || !ExpertMap.TryGetValue(tail[(end + 1)..].ToString(), out var name))
            {
                expert = -1;
                return false;
            }

            stacked = $"blk.{layer}.{name}";
            return true;
        }

        return false;
    }

    private static bool TryIndex(ReadOnlySpan<char> digits, out int value) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
}
