namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Token masks of one grammar over one vocabulary, keyed by the matcher state's content (every stack's positions,
/// top to bottom). Shared by all matchers of the grammar, so a repeated schema's first tokens and the long runs
/// of a loop (string characters, digits, array items) cost one trie walk each. Bounded by bytes twice: per grammar
/// and vocabulary, and across all of them in the process (the compiled-grammar cache keeps up to 256 grammars);
/// a cache over its share is cleared rather than tracked per entry, which keeps lookups to one probe under a lock.
/// </summary>
internal sealed class MaskCache
{
    /// <summary>Most bytes of masks kept per grammar and vocabulary.</summary>
    public const long MaxBytes = 32L << 20;

    /// <summary>Most bytes of masks kept by all grammars together.</summary>
    public const long MaxTotalBytes = 256L << 20;

    private static long s_totalBytes;

    private readonly Dictionary<StateKey, ulong[]> _masks = new();
    private readonly Lock _gate = new();
    private readonly long _entryBytes;
    private long _bytes;

    public MaskCache(int vocab)
    {
        _entryBytes = 8L * Math.Max(1, (vocab + 63) >> 6);
    }

    /// <summary>Bytes held by every mask cache of the process (for tests and metrics).</summary>
    public static long TotalBytes => Interlocked.Read(ref s_totalBytes);

    /// <summary>A collected grammar gives its share back (its masks go with it).</summary>
    ~MaskCache() => Interlocked.Add(ref s_totalBytes, -_bytes);

    public bool TryGet(int[] key, int length, int hash, Span<ulong> destination)
    {
        lock (_gate)
        {
            if (_masks.TryGetValue(new StateKey(key, length, hash), out var mask))
            {
                mask.CopyTo(destination);
                return true;
            }
        }

        return false;
    }

    public void Add(int[] key, int length, int hash, ReadOnlySpan<ulong> mask)
    {
        var stored = new StateKey(key.AsSpan(0, length).ToArray(), length, hash);
        var copy = mask.ToArray();
        long cost = _entryBytes + (4L * length);
        lock (_gate)
        {
            if (_bytes + cost > MaxBytes || Interlocked.Read(ref s_totalBytes) + cost > MaxTotalBytes)
            {
                Interlocked.Add(ref s_totalBytes, -_bytes);
                _bytes = 0;
                _masks.Clear();
                if (Interlocked.Read(ref s_totalBytes) + cost > MaxTotalBytes)
                {
                    return; // other grammars hold the budget: compute this state's mask every time
                }
            }

            if (_masks.TryAdd(stored, copy))
            {
                _bytes += cost;
                Interlocked.Add(ref s_totalBytes, cost);
            }
        }
    }
}
