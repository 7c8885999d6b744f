using CyLlm.Tensors;

namespace CyLlm.Engine.Execution;

/// <summary>One transformer block's weights: matrices in their storage type, norms and biases as floats; the FFN
/// is either dense (WGate/WUp/WDown) or a mixture of experts (<see cref="Moe"/>).</summary>
internal sealed class LayerWeights
{
    public required float[] AttnNorm { get; init; }     // [dim]
    public required QuantMatrix Wq { get; init; }        // [heads*headDim, dim]
    public required QuantMatrix Wk { get; init; }        // [kvHeads*headDim, dim]
    public required QuantMatrix Wv { get; init; }        // [kvHeads*headDim, dim]
    public required QuantMatrix Wo { get; init; }        // [dim, heads*headDim]
    public float[]? Bq { get; init; }                    // [heads*headDim] (Qwen2)
    public float[]? Bk { get; init; }                    // [kvHeads*headDim]
    public float[]? Bv { get; init; }                    // [kvHeads*headDim]
    public float[]? Bo { get; init; }                    // [dim] (gpt-oss), on the output projection
    public float[]? Sinks { get; init; }                 // [heads] (gpt-oss): per-head sink logits of the softmax
    public float[]? QNorm { get; init; }                 // [headDim] (Qwen3, Gemma 3), shared by all query heads
    public float[]? KNorm { get; init; }                 // [headDim] (Qwen3, Gemma 3), shared by all key heads
    public float[]? AttnPostNorm { get; init; }          // [dim] (Gemma), on the attention output before the residual add
    public required float[] FfnNorm { get; init; }      // [dim]
    // The dense FFN; unset (default, null data) in a mixture-of-experts block, which uses Moe instead.
    public QuantMatrix WGate { get; init; }              // [hidden, dim]
    public QuantMatrix WUp { get; init; }                // [hidden, dim]
    public QuantMatrix WDown { get; init; }              // [dim, hidden]
    public MoeWeights? Moe { get; init; }                // router and experts (Mixtral, Qwen3-MoE)
    public float[]? FfnPostNorm { get; init; }           // [dim] (Gemma), on the FFN output before the residual add
    public bool Local { get; init; }                     // a sliding-window layer (ModelConfig.IsLocalLayer)
}
