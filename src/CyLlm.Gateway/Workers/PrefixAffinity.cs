namespace CyLlm.Gateway.Workers;

/// <summary>
/// Prefix affinity within a load limit, shared by the disaggregation router's <see cref="Disaggregation.WorkerPicker"/>
/// and the engine-worker pool (<see cref="WorkerPool"/>): a prompt's leading tokens are hashed with each worker's URL
/// (rendezvous hashing), so the same prefix goes to the same worker — whose prefix cache holds it — and adding or
/// removing a worker moves only its share. A preferred worker whose load exceeds the least loaded eligible one's by more
/// than the spill-over gives way to the next in the prompt's order, so one hot prefix cannot pile up on one worker.
/// Deterministic (not <see cref="HashCode"/>): several gateways, or a restarted one, send a prefix to the same worker.
/// </summary>
public static class PrefixAffinity
{
    /// <summary>Tokens of the prompt that decide affinity: a prefix-cache block's worth and more (system prompts, few-shot headers).</summary>
    public const int AffinityTokens = 256;

    /// <summary>In-flight requests a preferred worker may have beyond the least busy before the next one takes the request.</summary>
    public const int SpillOver = 4;

    /// <summary>The affinity key of <paramref name="prompt"/>: FNV-1a over its first <see cref="AffinityTokens"/> token values.</summary>
    public static ulong KeyOf(ReadOnlySpan<int> prompt)
    {
        ulong h = 14695981039346656037UL;
        foreach (int t in prompt[..Math.Min(prompt.Length, AffinityTokens)])
        {
            h = (h ^ (uint)t) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>A worker's salt: FNV-1a over its URL's characters.</summary>
    public static ulong SaltOf(string url)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in url)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>
    /// The highest-scoring eligible worker for <paramref name="key"/> whose load is within <see cref="SpillOver"/> of the
    /// least loaded eligible one; -1 when none is eligible.
    /// </summary>
    /// <param name="eligible">Whether worker i may take the request (up, not tried yet); null = all.</param>
    public static int Choose(ulong key, ReadOnlySpan<ulong> salts, ReadOnlySpan<int> load, Func<int, bool>? eligible = null)
    {
        int min = int.MaxValue;
        for (int i = 0; i < load.Length; i++)
        {
            if (eligible is null || eligible(i))
            {
                min = Math.Min(min, load[i]);
            }
        }

        int best = -1;
        ulong bestScore = 0;
        for (int i = 0; i < salts.Length; i++)
        {
            if ((eligible is not null && !eligible(i)) || load[i] > min + SpillOver)
            {
                continue;
            }

            ulong score = Mix(key ^ salts[i]);
            if (best < 0 || score > bestScore)
            {
                (best, bestScore) = (i, score);
            }
        }

        return best;
    }

    /// <summary>splitmix64's finaliser: spreads the xor of two hashes so every worker's score is independent.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
