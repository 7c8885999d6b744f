namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Token masks of one grammar over one vocabulary, keyed by the matcher state's content (every stack's positions,
/// top to bottom). Shared by all matchers of the grammar, so a repeated schema's first tokens and the long runs
/// of a loop (string characters, digits, array items) cost one trie walk each. Bounded by bytes: when full it is
/// cleared rather than tracked per entry, which keeps lookups to one dictionary probe under a lock.
/// </summary>
internal sealed class MaskCache
{
    /// <summary>Most bytes of masks kept per grammar and vocabulary.</summary>
    public const long MaxBytes = 32L << 20;

    private readonly Dictionary<StateKey, ulong[]> _masks = new();
    private readonly Lock _gate = new();
    private readonly int _maxEntries;

    public MaskCache(int vocab)
    {
        int words = (vocab + 63) >> 6;
        _maxEntries = (int)Math.Max(16, MaxBytes / (8L * Math.Max(1, words)));
    }

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
        lock (_gate)
        {
            if (_masks.Count >= _maxEntries)
            {
                _masks.Clear();
            }

            _masks[stored] = copy;
        }
    }
}
