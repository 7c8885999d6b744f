using CyLlm.Models;
using CyLlm.Tensors;

namespace CyLlm.Engine.Execution;

/// <summary>
/// One block's mixture-of-experts FFN: the router and, per expert, a SwiGLU FFN whose matrices are views of the
/// expert's slice of the merged 3-D GGUF tensors (no copy unless the matrix type is repacked for its kernel).
/// </summary>
internal sealed class MoeWeights
{
    public required QuantMatrix Router { get; init; }    // [experts, dim]: one logit per expert
    public required QuantMatrix[] Gate { get; init; }    // per expert [hidden, dim]
    public required QuantMatrix[] Up { get; init; }      // per expert [hidden, dim]
    public required QuantMatrix[] Down { get; init; }    // per expert [dim, hidden]
    public required int Used { get; init; }              // experts per token (top-k)
    public float WeightsScale { get; init; }             // 0 or 1: none (llama.cpp's expert_weights_scale)
    public bool Normalize { get; init; } = true;         // renormalise the k weights to sum 1 (false: Qwen2-MoE)
    public ExpertGating Gating { get; init; }            // softmax over all logits, or over the k selected (gpt-oss)

    // gpt-oss: biases on the router logits and on every expert's projections, or null.
    public float[]? RouterBias { get; init; }            // [experts]
    public float[]? GateBias { get; init; }              // [experts, hidden]: expert e's row at e·hidden
    public float[]? UpBias { get; init; }                // [experts, hidden]
    public float[]? DownBias { get; init; }              // [experts, dim]

    // The clamped SwiGLU (gpt-oss) when SwiGluLimit > 0, else silu(gate)·up.
    public float SwiGluLimit { get; init; }
    public float SwiGluAlpha { get; init; }

    // The shared expert every token goes through (Qwen2-MoE), or null: a SwiGLU FFN scaled by sigmoid(SharedGateInput · x).
    public QuantMatrix? SharedGateInput { get; init; }  // [1, dim]: one logit per token
    public QuantMatrix? SharedGate { get; init; }       // [sharedHidden, dim]
    public QuantMatrix? SharedUp { get; init; }         // [sharedHidden, dim]
    public QuantMatrix? SharedDown { get; init; }       // [dim, sharedHidden]
}
