using System.Diagnostics;

namespace CyLlm.Tensors;

/// <summary>
/// Rotary position embedding applied in place to heads of a Q or K row ([heads, headDim], row-major).
/// The caller supplies cos/sin for the token's position, one pair per rotated dimension pair
/// (<c>ropeDims / 2</c> values each), so the trigonometry is computed once per token, not per head or layer.
/// </summary>
public static unsafe class Rope
{
    /// <summary>Fills cos/sin for <paramref name="position"/> from inverse frequencies (ropeDims/2 of them).</summary>
    public static void Angles(int position, ReadOnlySpan<float> inverseFrequencies, Span<float> cos, Span<float> sin)
    {
        Debug.Assert(cos.Length >= inverseFrequencies.Length && sin.Length >= inverseFrequencies.Length);
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            float theta = position * inverseFrequencies[i];
            (sin[i], cos[i]) = MathF.SinCos(theta);
        }
    }

    /// <summary>Rotates adjacent pairs (2i, 2i+1) of the first ropeDims dimensions of each head.</summary>
    public static void Interleaved(float* x, int heads, int headDim, int ropeDims, float* cos, float* sin)
    {
        Debug.Assert(ropeDims <= headDim && ropeDims % 2 == 0);
        for (int h = 0; h < heads; h++)
        {
            float* v = x + ((nint)h * headDim);
            for (int i = 0; i < ropeDims; i += 2)
            {
                float c = cos[i >> 1], s = sin[i >> 1];
                float a = v[i], b = v[i + 1];
                v[i] = (a * c) - (b * s);
                v[i + 1] = (a * s) + (b * c);
            }
        }
    }

    /// <summary>Rotates pairs (i, i + ropeDims/2) of each head (NEOX / Hugging Face layout).</summary>
    public static void HalfSplit(float* x, int heads, int headDim, int ropeDims, float* cos, float* sin)
    {
        Debug.Assert(ropeDims <= headDim && ropeDims % 2 == 0);
        int half = ropeDims / 2;
        for (int h = 0; h < heads; h++)
        {
            float* v = x + ((nint)h * headDim);
            for (int i = 0; i < half; i++)
            {
                float c = cos[i], s = sin[i];
                float a = v[i], b = v[i + half];
                v[i] = (a * c) - (b * s);
                v[i + half] = (a * s) + (b * c);
            }
        }
    }

    /// <summary>
    /// Inverse frequencies base^(−2i/ropeDims), divided by per-pair factors when given (Llama-3 scaling, as
    /// GGUF's rope_freqs tensor stores them).
    /// </summary>
    public static float[] InverseFrequencies(int ropeDims, float theta, ReadOnlySpan<float> freqFactors)
    {
        var f = new float[ropeDims / 2];
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / ropeDims));
            if (!freqFactors.IsEmpty)
            {
                f[i] /= freqFactors[i];
            }
        }

        return f;
    }

    /// <summary>
    /// YaRN (ggml_rope_ext with ext_factor ≠ 0), folded into the inverse frequencies in place: pair i's angle
    /// p·θ_i becomes p·θ_i·(s·(1 − r_i) + r_i) with s = 1 / <paramref name="factor"/> and r_i = ramp_i · ext, where the
    /// ramp is 1 below the pair index at which a wavelength turns <paramref name="betaFast"/> times within
    /// <paramref name="originalContext"/> (floored), 0 above the index of <paramref name="betaSlow"/> turns (ceiled), linear
    /// between: fast pairs extrapolate, slow ones interpolate. The magnitude factor is the caller's (cos and sin).
    /// Single-precision as ggml's ggml_rope_yarn_corr_dims and rope_yarn_ramp.
    /// </summary>
    public static void ApplyYarn(Span<float> inverseFrequencies, int ropeDims, float theta, float factor, int originalContext, float extFactor, float betaFast, float betaSlow)
    {
        float CorrDim(float rotations) => ropeDims * MathF.Log(originalContext / (rotations * 2 * MathF.PI)) / (2 * MathF.Log(theta));
        float low = MathF.Max(0, MathF.Floor(CorrDim(betaFast)));
        float high = MathF.Min(ropeDims - 1, MathF.Ceiling(CorrDim(betaSlow)));
        float scale = 1f / factor;
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            float y = (i - low) / MathF.Max(0.001f, high - low);
            float mix = (1 - MathF.Min(1, MathF.Max(0, y))) * extFactor;
            inverseFrequencies[i] *= (scale * (1 - mix)) + mix;
        }
    }

    /// <summary>
    /// Llama-3 frequency factors (Hugging Face "rope_type": "llama3"): long wavelengths are divided by
    /// <paramref name="factor"/>, short ones kept, the band between smoothly interpolated.
    /// </summary>
    public static float[] Llama3FreqFactors(int ropeDims, float theta, float factor, float lowFreqFactor, float highFreqFactor, int originalContext)
    {
        var factors = new float[ropeDims / 2];
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < factors.Length; i++)
        {
            double freq = 1.0 / Math.Pow(theta, 2.0 * i / ropeDims);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen)
            {
                factors[i] = 1f;
            }
            else if (wavelen > lowWavelen)
            {
                factors[i] = factor;
            }
            else
            {
                double smooth = ((originalContext / wavelen) - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[i] = (float)(1.0 / (((1 - smooth) / factor) + smooth));
            }
        }

        return factors;
    }
}
