namespace CyLlm.Models;

/// <summary>
/// Llama-3 style RoPE frequency scaling ("rope_type": "llama3"). Null on a <see cref="ModelConfig"/> means none.
/// </summary>
public sealed record RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalContextLength);
