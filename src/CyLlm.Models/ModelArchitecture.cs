namespace CyLlm.Models;

/// <summary>Model families the engine runs. Values are persisted in caches and manifests: frozen.</summary>
public enum ModelArchitecture
{
    /// <summary>Llama 1/2/3, TinyLlama, SmolLM2, Mistral (without sliding window).</summary>
    Llama = 0,

    /// <summary>Qwen2 / Qwen2.5: Llama with biases on the Q, K and V projections.</summary>
    Qwen2 = 1,

    /// <summary>Qwen3 (dense): Llama without Q/K/V biases but with an RMSNorm over every query and key head
    /// (<see cref="ModelConfig.QkNorm"/>) before RoPE; head_dim may differ from dim / heads.</summary>
    Qwen3 = 2,

    /// <summary>Qwen3-MoE: Qwen3 attention with a mixture-of-experts FFN in every block (softmax router, top-k
    /// experts, weights renormalised over the k); see <see cref="ModelConfig.ExpertCount"/>. (Mixtral is
    /// <see cref="Llama"/> with experts.)</summary>
    Qwen3Moe = 3,
}
