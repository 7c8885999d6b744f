namespace CyLlm.Models;

/// <summary>How a mixture-of-experts router turns its logits into the k selected experts' weights (llama.cpp's
/// llama_expert_gating_func_type).</summary>
public enum ExpertGating
{
    /// <summary>Softmax over all experts' logits, the k largest probabilities taken (then renormalised over the k or
    /// not, <see cref="ModelConfig.ExpertWeightsNormalized"/>): Mixtral, Qwen3-MoE, Qwen2-MoE.</summary>
    Softmax = 0,

    /// <summary>The k largest raw logits are selected, and their weights are the softmax over those k logits alone
    /// (LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT): gpt-oss.</summary>
    SoftmaxOverSelected = 1,
}
