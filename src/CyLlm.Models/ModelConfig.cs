namespace CyLlm.Models;

/// <summary>Hyperparameters of a Llama-family model, independent of the file format it came from.</summary>
public sealed record ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>Embedding width (d_model).</summary>
    public required int Dim { get; init; }

    /// <summary>FFN inner width; in a mixture-of-experts model, the inner width of each expert.</summary>
    public required int HiddenDim { get; init; }

    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }

    /// <summary>Per-head width; usually Dim / Heads.</summary>
    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    /// <summary>Maximum context the model supports (tokens).</summary>
    public required int ContextLength { get; init; }

    public float RmsNormEps { get; init; } = 1e-5f;
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>Number of leading head dimensions RoPE rotates (GGUF rope.dimension_count); = HeadDim usually.</summary>
    public int RopeDimensions { get; init; }

    public RopeLayout RopeLayout { get; init; } = RopeLayout.Interleaved;
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Q, K and V projections carry biases (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>
    /// Per-head RMSNorm on queries and keys (Qwen3): blk.{i}.attn_q_norm.weight and attn_k_norm.weight, each
    /// [HeadDim], scale every head's query/key vector after the projection and before RoPE, with <see cref="RmsNormEps"/>.
    /// </summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Experts per block (GGUF {arch}.expert_count); 0 for a dense model. A MoE block replaces the FFN's
    /// ffn_gate/ffn_up/ffn_down with the router blk.{i}.ffn_gate_inp.weight ([ExpertCount, Dim] row-major) and
    /// the merged expert tensors ffn_gate_exps/ffn_up_exps ([ExpertCount, HiddenDim, Dim]) and ffn_down_exps
    /// ([ExpertCount, Dim, HiddenDim]).
    /// </summary>
    public int ExpertCount { get; init; }

    /// <summary>Experts each token is routed to (top-k of the router's softmax, {arch}.expert_used_count).</summary>
    public int ExpertUsedCount { get; init; }

    /// <summary>Factor on the renormalised expert weights ({arch}.expert_weights_scale); 0 or 1 leaves them as they are.</summary>
    public float ExpertWeightsScale { get; init; }

    /// <summary>True for a mixture-of-experts model (<see cref="ExpertCount"/> &gt; 0).</summary>
    public bool IsMoe => ExpertCount > 0;

    /// <summary>The output head shares the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Human-readable name from the file, if any.</summary>
    public string? Name { get; init; }
}
