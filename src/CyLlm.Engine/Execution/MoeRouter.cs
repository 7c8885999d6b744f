using CyLlm.Tensors;

namespace CyLlm.Engine.Execution;

/// <summary>
/// Expert selection as llama.cpp's build_moe_ffn does it for Mixtral and Qwen3-MoE (gating softmax, norm_w), and for
/// gpt-oss (<see cref="RouteSoftmaxOverSelected"/>):
/// softmax over all router logits, the k largest probabilities (ties to the lower expert index, as the stable
/// insertion sort std::sort uses for ≤ 16 elements), their probabilities renormalised to sum to 1 (the sum clamped
/// below at 2^-14 like llama.cpp; Qwen2-MoE skips this, norm_w = false) and optionally scaled. The selected experts come out in descending probability
/// order, the order llama.cpp adds the expert outputs in.
/// </summary>
internal static unsafe class MoeRouter
{
    /// <summary>Smallest normal f16, llama.cpp's clamp on the weight sum.</summary>
    private const float MinWeightSum = 6.103515625e-5f;

    /// <summary>
    /// Routes one token as gpt-oss does (LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT): the k largest raw
    /// <paramref name="logits"/> [experts] (router bias already added; ties to the lower index) are selected in
    /// descending order, and their weights are the softmax over those k logits alone, optionally scaled (never
    /// renormalised: they already sum to 1). The logits are left as they are.
    /// </summary>
    public static void RouteSoftmaxOverSelected(float* logits, int experts, int used, int* selected, float* weights, float scale)
    {
        // k rounds of arg-max over the experts not yet taken. Logits may be negative, so "taken" is a flag, not a value.
        Span<bool> taken = experts <= 1024 ? stackalloc bool[experts] : new bool[experts];
        for (int j = 0; j < used; j++)
        {
            int best = -1;
            float bestL = float.NegativeInfinity;
            for (int e = 0; e < experts; e++)
            {
                if (!taken[e] && logits[e] > bestL)
                {
                    bestL = logits[e];
                    best = e;
                }
            }

            if (best < 0)
            {
                // Every remaining logit is NaN or −∞: take the first untaken expert so the indices stay valid and a NaN
                // flows into the output, as it would in llama.cpp.
                best = taken.IndexOf(false);
                bestL = logits[best];
            }

            selected[j] = best;
            weights[j] = bestL;
            taken[best] = true;
        }

        Softmax.Apply(new Span<float>(weights, used));
        if (scale != 0f && scale != 1f)
        {
            for (int j = 0; j < used; j++)
            {
                weights[j] *= scale;
            }
        }
    }

    /// <summary>
    /// Routes one token: <paramref name="logits"/> [experts] is overwritten with the softmax probabilities;
    /// <paramref name="selected"/> [used] and <paramref name="weights"/> [used] receive the experts and their weights
    /// (renormalised over the k when <paramref name="normalize"/>, else the raw probabilities).
    /// </summary>
    public static void Route(float* logits, int experts, int used, int* selected, float* weights, float scale, bool normalize = true)
    {
        // The engine's softmax (max-subtracted, canonical-order sum): the same bits on every vector width, so the
        // experts chosen (and the greedy tokens) do not depend on the CPU.
        Softmax.Apply(new Span<float>(logits, experts));

        // k rounds of arg-max over the experts not yet taken: k is small (2..8), and a strict '>' keeps the lower
        // index on ties. A taken expert is remembered by its probability being set to -1 (probabilities are ≥ 0),
        // then restored.
        float total = 0;
        for (int j = 0; j < used; j++)
        {
            int best = -1;
            float bestP = -1f;
            for (int e = 0; e < experts; e++)
            {
                if (logits[e] > bestP)
                {
                    bestP = logits[e];
                    best = e;
                }
            }

            if (best < 0)
            {
                // Only NaN left (a diverged hidden state): take the lowest untaken expert so the indices stay
                // valid and the NaN flows into the output, as it would in llama.cpp.
                best = 0;
                while (logits[best] == -1f)
                {
                    best++;
                }

                bestP = logits[best];
            }

            selected[j] = best;
            weights[j] = bestP;
            total += bestP;
            logits[best] = -1f;
        }

        for (int j = 0; j < used; j++)
        {
            logits[selected[j]] = weights[j];
        }

        float norm = normalize ? MathF.Max(total, MinWeightSum) : 1f;
        bool scaled = scale != 0f && scale != 1f;
        for (int j = 0; j < used; j++)
        {
            weights[j] /= norm;
            if (scaled)
            {
                weights[j] *= scale;
            }
        }
    }
}
