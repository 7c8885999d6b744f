namespace CyLlm.Engine.Sampling;

/// <summary>
/// Log-probabilities from a logit row: log-softmax and the top alternatives. Prompt logprobs (completions' <c>echo</c>,
/// the way lm-evaluation-harness scores log-likelihoods) take it over the raw logits; the sampler over its processed
/// ones (after the grammar mask, bias and penalties, before temperature).
/// </summary>
public static class LogprobCalculator
{
    /// <summary>The logprob of <paramref name="token"/> under <paramref name="logits"/>, with the <paramref name="top"/>
    /// (0–20) most likely tokens, best first (the lower id first among equals). Tokens at −∞ (masked by a grammar) are
    /// never alternatives. The sampler's logprobs use it too, over its processed logits.</summary>
    public static SampleResult Of(ReadOnlySpan<float> logits, int token, int top)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)token, (uint)logits.Length, nameof(token));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, 20);
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (float v in logits)
        {
            sum += Math.Exp(v - max);
        }

        float logZ = max + (float)Math.Log(sum);
        if (top <= 0)
        {
            return new SampleResult(token, logits[token] - logZ, null);
        }

        // Insertion into a k-sized sorted array: k ≤ 20, one pass over the vocabulary.
        int k = Math.Min(top, logits.Length);
        Span<int> ids = stackalloc int[k];
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float v = logits[i];
            if (count == k && v <= logits[ids[k - 1]])
            {
                continue;
            }

            int at = count < k ? count++ : k - 1;
            while (at > 0 && logits[ids[at - 1]] < v)
            {
                ids[at] = ids[at - 1];
                at--;
            }

            ids[at] = i;
        }

        while (count > 0 && float.IsNegativeInfinity(logits[ids[count - 1]]))
        {
            count--;
        }

        var best = new TokenLogprob[count];
        for (int i = 0; i < count; i++)
        {
            best[i] = new TokenLogprob(ids[i], logits[ids[i]] - logZ);
        }

        return new SampleResult(token, logits[token] - logZ, best);
    }
}
