namespace CyLlm.Engine.Sampling;

/// <summary>
/// Log-probabilities straight from a logit row, without a sampler (prompt logprobs for completions' <c>echo</c>, the
/// way lm-evaluation-harness scores log-likelihoods): log-softmax of the raw logits, no penalties, bias or temperature.
/// </summary>
public static class LogprobCalculator
{
    /// <summary>The logprob of <paramref name="token"/> under <paramref name="logits"/>, with the <paramref name="top"/>
    /// (0–20) most likely tokens, best first.</summary>
    public static SampleResult Of(ReadOnlySpan<float> logits, int token, int top)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)token, (uint)logits.Length, nameof(token));
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

        var best = new TokenLogprob[count];
        for (int i = 0; i < count; i++)
        {
            best[i] = new TokenLogprob(ids[i], logits[ids[i]] - logZ);
        }

        return new SampleResult(token, logits[token] - logZ, best);
    }
}
