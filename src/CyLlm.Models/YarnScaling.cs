namespace CyLlm.Models;

/// <summary>
/// YaRN RoPE scaling as llama.cpp's ggml_rope_ext applies it: positions are interpolated by 1 / <paramref name="Factor"/>
/// on the slow pairs and extrapolated on the fast ones, blended by a ramp between the pair indices where a wavelength
/// completes <paramref name="BetaFast"/> and <paramref name="BetaSlow"/> turns within <paramref name="OriginalContextLength"/>
/// (weighted by <paramref name="ExtFactor"/>); cos and sin are multiplied by <paramref name="AttnFactor"/> (llama.cpp's
/// cparams.yarn_attn_factor, 1 for a plain YaRN model) and, when <paramref name="ExtFactor"/> ≠ 0, by the
/// 0.1·ln(factor) + 1 that ggml's rope_yarn applies on top.
/// </summary>
public sealed record YarnScaling(float Factor, int OriginalContextLength, float ExtFactor, float AttnFactor, float BetaFast, float BetaSlow);
