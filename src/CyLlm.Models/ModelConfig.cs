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

    /// <summary>
    /// Factor on RoPE's cos and sin (llama.cpp's attn_factor / mscale: with q and k both rotated, attention scores
    /// scale by its square); 0 means 1. GGUF {arch}.rope.scaling.attn_factor; Phi-3's LongRoPE gives
    /// √(1 + ln(context / original) / ln(original)).
    /// </summary>
    public float RopeAttentionFactor { get; init; }

    /// <summary>The context the model was pre-trained with before RoPE scaling (GGUF {arch}.rope.scaling.original_context_length,
    /// HF original_max_position_embeddings); 0 = <see cref="ContextLength"/>. LongRoPE rotates with the long factors when
    /// the context a session is created with exceeds it, else with the short ones (llama.cpp's get_rope_factors).</summary>
    public int RopeOriginalContext { get; init; }

    /// <summary>LongRoPE per-pair frequency divisors ([ropeDims/2]) of a Hugging Face checkpoint (rope_scaling long_factor /
    /// short_factor); a GGUF file carries them as the tensors rope_factors_long.weight / rope_factors_short.weight instead.</summary>
    public float[]? LongRopeFactors { get; init; }

    /// <inheritdoc cref="LongRopeFactors"/>
    public float[]? ShortRopeFactors { get; init; }

    /// <summary>YaRN RoPE scaling (GGUF rope.scaling.type "yarn", HF rope_type "yarn"); null = none.</summary>
    public YarnScaling? Yarn { get; init; }

    /// <summary>Q, K and V are one matrix blk.{i}.attn_qkv.weight ([qDim + 2·kvDim, Dim] row-major: the query rows, then
    /// the key rows, then the value rows), as Phi-3 stores them, instead of attn_q/attn_k/attn_v.</summary>
    public bool FusedQkv { get; init; }

    /// <summary>The SwiGLU gate and up projections are one matrix blk.{i}.ffn_up.weight ([2·HiddenDim, Dim] row-major: the
    /// gate rows, then the up rows, as HF Phi-3's gate_up_proj), with no ffn_gate.weight.</summary>
    public bool FusedGateUp { get; init; }

    /// <summary>Q, K and V projections carry biases (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>
    /// Per-head RMSNorm on queries and keys (Qwen3): blk.{i}.attn_q_norm.weight and attn_k_norm.weight, each
    /// [HeadDim], scale every head's query/key vector after the projection and before RoPE, with <see cref="RmsNormEps"/>.
    /// </summary>
    public bool QkNorm { get; init; }

    /// <summary>Gemma: the FFN is GeGLU (tanh-approximated GELU on the gate), the token embedding is scaled by
    /// √<see cref="Dim"/>, and attention and FFN outputs pass through RMSNorms (blk.{i}.post_attention_norm.weight,
    /// post_ffw_norm.weight, [Dim] each) before they are added to the residual stream.</summary>
    public bool Gemma => Architecture is ModelArchitecture.Gemma2 or ModelArchitecture.Gemma3;

    /// <summary>
    /// Added to every RMSNorm weight (attn/ffn/output norms, post norms, Q/K head norms) when the weights are bound:
    /// 1 for Hugging Face Gemma checkpoints, whose GemmaRMSNorm computes x̂·(1 + w); 0 otherwise (llama.cpp's
    /// converter already adds the 1 to Gemma's norm weights in GGUF files).
    /// </summary>
    public float NormWeightOffset { get; init; }

    /// <summary>Factor on q·k before the softmax (soft-cap); 0 means 1/√<see cref="HeadDim"/>. Gemma's
    /// query_pre_attn_scalar s gives 1/√s.</summary>
    public float AttentionScale { get; init; }

    /// <summary>Attention logit soft-cap c (Gemma 2): scores become c·tanh(score / c) before the softmax; 0 = none.</summary>
    public float AttentionSoftcap { get; init; }

    /// <summary>Final logit soft-cap c (Gemma 2, some Gemma 3): logits become c·tanh(logit / c); 0 = none.</summary>
    public float FinalLogitSoftcap { get; init; }

    /// <summary>Sliding-window size W of the local layers: a query at position p attends to keys at positions
    /// p − W + 1 … p (llama.cpp's LLAMA_SWA_TYPE_STANDARD); 0 = every layer is global.</summary>
    public int SlidingWindow { get; init; }

    /// <summary>With <see cref="SlidingWindow"/> &gt; 0: layer l is local when l mod n &lt; n − 1 for this n (Gemma 2: 2,
    /// every other layer starting with layer 0; Gemma 3: 6, five local then one global); as in llama.cpp, 0 makes every
    /// layer local and 1 none.</summary>
    public int SlidingWindowPattern { get; init; }

    /// <summary>RoPE base of the local (sliding-window) layers; 0 = <see cref="RopeTheta"/>. Gemma 3 uses 10000 there
    /// and rope.freq_base (1e6) on its global layers.</summary>
    public float LocalRopeTheta { get; init; }

    /// <summary>Linear RoPE scaling of the global layers (Gemma 3 4B and larger: "linear", factor 8): their positions are
    /// divided by this factor, the local layers' are not (llama.cpp's rope_freq_scale vs rope_freq_scale_train_swa);
    /// 0 = none.</summary>
    public float RopeLinearFactor { get; init; }

    /// <summary>Whether layer <paramref name="layer"/> attends through the sliding window only.</summary>
    public bool IsLocalLayer(int layer) =>
        SlidingWindow > 0 && (SlidingWindowPattern == 0 || layer % SlidingWindowPattern < SlidingWindowPattern - 1);

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

    /// <summary>Whether the top-k expert weights are renormalised to sum to 1 (llama.cpp's norm_w: Mixtral, Qwen3-MoE);
    /// false keeps the raw softmax probabilities of the k experts (Qwen2-MoE).</summary>
    public bool ExpertWeightsNormalized { get; init; } = true;

    /// <summary>
    /// Inner width of the shared expert (GGUF {arch}.expert_shared_feed_forward_length; Qwen2-MoE); 0 = none. A shared
    /// expert is a SwiGLU FFN every token goes through: blk.{i}.ffn_gate_shexp.weight / ffn_up_shexp.weight
    /// ([SharedExpertHiddenDim, Dim] row-major) and ffn_down_shexp.weight ([Dim, SharedExpertHiddenDim]); its output is
    /// scaled by sigmoid(ffn_gate_inp_shexp.weight · x) (a [Dim] vector) and added to the routed experts' sum.
    /// </summary>
    public int SharedExpertHiddenDim { get; init; }

    /// <summary>How the router's logits become the selected experts' weights; see <see cref="Models.ExpertGating"/>.</summary>
    public ExpertGating ExpertGating { get; init; }

    /// <summary>
    /// The router and every expert matrix carry a bias (gpt-oss): blk.{i}.ffn_gate_inp.bias [ExpertCount] is added to
    /// the router logits, ffn_gate_exps.bias / ffn_up_exps.bias ([HiddenDim, ExpertCount] in ggml order: one row per
    /// expert) to each expert's gate and up projections, ffn_down_exps.bias ([Dim, ExpertCount]) to its output.
    /// </summary>
    public bool ExpertBiases { get; init; }

    /// <summary>
    /// The clamped SwiGLU of gpt-oss (ggml's swiglu_oai) when &gt; 0: with g = min(gate, limit) and u = clamp(up, −limit,
    /// limit), out = g·σ(<see cref="SwiGluAlpha"/>·g)·(u + 1). 0 = the plain silu(gate)·up.
    /// </summary>
    public float SwiGluLimit { get; init; }

    /// <summary>The sigmoid's slope in the clamped SwiGLU (gpt-oss: 1.702); used only with <see cref="SwiGluLimit"/> &gt; 0.</summary>
    public float SwiGluAlpha { get; init; }

    /// <summary>
    /// A learned logit per query head, blk.{i}.attn_sinks.weight [Heads] (gpt-oss): it joins every softmax over that
    /// head's attention scores as one more term of the denominator (and of the maximum) but has no value, so a query can
    /// put weight on "nothing" (ggml_soft_max_add_sinks).
    /// </summary>
    public bool AttentionSinks { get; init; }

    /// <summary>The attention output projection carries a bias, blk.{i}.attn_output.bias [Dim] (gpt-oss).</summary>
    public bool AttentionOutputBias { get; init; }

    /// <summary>The pre-FFN RMSNorm is stored as blk.{i}.post_attention_norm.weight instead of ffn_norm.weight (gpt-oss,
    /// whose Hugging Face name post_attention_layernorm llama.cpp keeps; it is applied where ffn_norm is).</summary>
    public bool FfnNormIsPostAttentionNorm { get; init; }

    /// <summary>True for a mixture-of-experts model (<see cref="ExpertCount"/> &gt; 0).</summary>
    public bool IsMoe => ExpertCount > 0;

    /// <summary>The output head shares the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Human-readable name from the file, if any.</summary>
    public string? Name { get; init; }
}
