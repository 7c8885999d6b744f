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

    /// <summary>Gemma 2: embedding scaled by √dim, GeGLU (tanh GELU), RMSNorm before and after attention and FFN,
    /// attention-logit and final-logit soft-capping, sliding-window layers alternating with global ones.</summary>
    Gemma2 = 3,

    /// <summary>Gemma 3 (text): Gemma 2 without the attention soft-cap, with per-head Q/K RMSNorm, five
    /// sliding-window layers per global one and its own RoPE base (10000) on the sliding layers.</summary>
    Gemma3 = 4,

    /// <summary>Qwen3-MoE: Qwen3 attention with a mixture-of-experts FFN in every block (softmax router, top-k
    /// experts, weights renormalised over the k); see <see cref="ModelConfig.ExpertCount"/>. (Mixtral is
    /// <see cref="Llama"/> with experts.)</summary>
    Qwen3Moe = 5,

    /// <summary>Phi-3 / Phi-3.5 / Phi-4 (GGUF phi3, HF Phi3ForCausalLM): Llama with the Q/K/V projections fused in one
    /// matrix (<see cref="ModelConfig.FusedQkv"/>), the SwiGLU gate and up projections fused in ffn_up
    /// (<see cref="ModelConfig.FusedGateUp"/>), NEOX RoPE, and LongRoPE frequency factors on the 128k models.</summary>
    Phi3 = 6,

    /// <summary>Qwen2-MoE (GGUF qwen2moe: Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B): Qwen2 attention (Q/K/V biases) with a
    /// mixture-of-experts FFN whose top-k softmax weights are not renormalised, plus a shared expert in every block
    /// (<see cref="ModelConfig.SharedExpertHiddenDim"/>) gated by a sigmoid.</summary>
    Qwen2Moe = 7,

    /// <summary>gpt-oss (GGUF gpt-oss, OpenAI gpt-oss-20b/120b; llama.cpp's LLM_ARCH_OPENAI_MOE): attention with Q/K/V/O
    /// biases and a learned per-head sink logit (<see cref="ModelConfig.AttentionSinks"/>), sliding-window layers
    /// alternating with global ones, YaRN RoPE, and a mixture of experts with a biased router, softmax over the k selected
    /// logits (<see cref="ExpertGating.SoftmaxOverSelected"/>), biased experts and the clamped SwiGLU
    /// (<see cref="ModelConfig.SwiGluLimit"/>).</summary>
    GptOss = 8,
}
