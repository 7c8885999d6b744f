using System.Runtime.CompilerServices;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// A tokenizer's vocabulary as the matcher needs it: every token's bytes and a byte trie over them laid out in
/// depth-first preorder (node i's subtree is [i, TrieEnd[i])), so a mask is one forward sweep that skips a whole
/// subtree as soon as the grammar rejects its prefix. Built once per tokenizer (<see cref="For"/> caches it).
/// Tokens with no bytes (control, unused) and the end-of-generation ids are not in the trie: the matcher allows
/// end-of-generation ids by the grammar's completeness and never allows the others.
/// </summary>
public sealed class TokenVocabulary
{
    private static readonly ConditionalWeakTable<ITokenizer, TokenVocabulary> Cache = new();

    private readonly byte[][] _pieces;

    public TokenVocabulary(IReadOnlyList<byte[]> pieces, IReadOnlyList<int> endOfGenerationIds)
    {
        Count = pieces.Count;
        _pieces = new byte[Count][];
        var eog = new HashSet<int>(endOfGenerationIds);
        var ids = new List<int>(Count);
        for (int i = 0; i < Count; i++)
        {
            _pieces[i] = pieces[i];
            if (pieces[i].Length > 0 && !eog.Contains(i))
            {
                ids.Add(i);
            }
        }

        EndOfGenerationIds = [.. eog.Where(id => (uint)id < (uint)Count).Order()];
        ids.Sort((a, b) =>
        {
            int c = _pieces[a].AsSpan().SequenceCompareTo(_pieces[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        BuildTrie(ids);
    }

    /// <summary>No tokens: for checking a grammar's start state without a tokenizer.</summary>
    internal static TokenVocabulary Empty { get; } = new([], []);

    /// <summary>Number of token ids (masks have this many bits).</summary>
    public int Count { get; }

    public IReadOnlyList<int> EndOfGenerationIds { get; }

    /// <summary>Trie nodes (node 0 is the root, the empty prefix).</summary>
    internal int TrieCount { get; private set; }

    internal byte[] TrieByte { get; private set; } = [];

    internal int[] TrieDepth { get; private set; } = [];

    internal int[] TrieEnd { get; private set; } = [];

    /// <summary>Tokens ending at node i: TrieTokens[TrieTokStart[i] .. TrieTokStart[i + 1]).</summary>
    internal int[] TrieTokStart { get; private set; } = [];

    internal int[] TrieTokens { get; private set; } = [];

    internal int MaxDepth { get; private set; }

    /// <summary>Per node, the index (4 words each) in <see cref="SubtreeSets"/> of the bytes its subtree uses.</summary>
    internal int[] TrieSubtreeSet { get; private set; } = [];

    internal ulong[] SubtreeSets { get; private set; } = [];

    /// <summary>The vocabulary of <paramref name="tokenizer"/>, built on first use and kept while it lives.</summary>
    public static TokenVocabulary For(ITokenizer tokenizer) => Cache.GetValue(tokenizer, t =>
    {
        var pieces = new byte[t.VocabSize][];
        for (int i = 0; i < pieces.Length; i++)
        {
            pieces[i] = t.PieceBytes(i).ToArray();
        }

        return new TokenVocabulary(pieces, t.EndOfGenerationIds);
    });

    internal ReadOnlySpan<byte> Piece(int id) => _pieces[id];

    internal bool IsEndOfGeneration(int id)
    {
        var eog = EndOfGenerationIds;
        for (int i = 0; i < eog.Count; i++)
        {
            if (eog[i] == id)
            {
                return true;
            }
        }

        return false;
    }

    private void BuildTrie(List<int> sortedIds)
    {
        var bytes = new List<byte> { 0 };
        var depth = new List<int> { 0 };
        var end = new List<int> { 0 };
        var parents = new List<int> { -1 };
        var nodeOfToken = new int[sortedIds.Count];
        var path = new List<int> { 0 };
        byte[] previous = [];
        for (int t = 0; t < sortedIds.Count; t++)
        {
            byte[] p = _pieces[sortedIds[t]];
            int common = 0;
            while (common < p.Length && common < previous.Length && p[common] == previous[common])
            {
                common++;
            }

            // Close the nodes below the shared prefix: their subtrees end here.
            while (path.Count - 1 > common)
            {
                end[path[^1]] = bytes.Count;
                path.RemoveAt(path.Count - 1);
            }

            for (int d = common; d < p.Length; d++)
            {
                bytes.Add(p[d]);
                parents.Add(path[^1]);
                depth.Add(d + 1);
                end.Add(0);
                path.Add(bytes.Count - 1);
            }

            nodeOfToken[t] = path[^1];
            MaxDepth = Math.Max(MaxDepth, p.Length);
            previous = p;
        }

        while (path.Count > 0)
        {
            end[path[^1]] = bytes.Count;
            path.RemoveAt(path.Count - 1);
        }

        TrieCount = bytes.Count;
        TrieByte = [.. bytes];
        TrieDepth = [.. depth];
        TrieEnd = [.. end];
        // Sorted order puts equal pieces together and a node's tokens before its descendants' (a prefix sorts
        // first), so counting per node and prefix-summing gives each node a contiguous run of ids.
        var start = new int[TrieCount + 1];
        foreach (int node in nodeOfToken)
        {
            start[node + 1]++;
        }

        for (int i = 0; i < TrieCount; i++)
        {
            start[i + 1] += start[i];
        }

        var fill = (int[])start.Clone();
        var tokens = new int[sortedIds.Count];
        for (int t = 0; t < sortedIds.Count; t++)
        {
            tokens[fill[nodeOfToken[t]]++] = sortedIds[t];
        }

        TrieTokStart = start;
        TrieTokens = tokens;

        // Bytes used in each subtree (the node's own byte and every descendant's), as an index into a table of
        // distinct 256-bit sets: a matcher in a state that loops on all of them accepts the whole subtree unvisited.
        var sets = new List<ulong>();
        var setIds = new Dictionary<(ulong, ulong, ulong, ulong), int>();
        var subtree = new int[TrieCount];
        var acc = new ulong[TrieCount * 4];
        for (int i = TrieCount - 1; i >= 1; i--)
        {
            // Children come after their parent in preorder: fold each node into its parent walking backwards.
            int b = TrieByte[i];
            acc[(i * 4) + (b >> 6)] |= 1UL << (b & 63);
            var key = (acc[i * 4], acc[(i * 4) + 1], acc[(i * 4) + 2], acc[(i * 4) + 3]);
            if (!setIds.TryGetValue(key, out int id))
            {
                id = sets.Count / 4;
                sets.Add(key.Item1);
                sets.Add(key.Item2);
                sets.Add(key.Item3);
                sets.Add(key.Item4);
                setIds[key] = id;
            }

            subtree[i] = id;
            int parent = parents[i];
            for (int w = 0; w < 4; w++)
            {
                acc[(parent * 4) + w] |= acc[(i * 4) + w];
            }
        }

        TrieSubtreeSet = subtree;
        SubtreeSets = [.. sets];
    }

}
