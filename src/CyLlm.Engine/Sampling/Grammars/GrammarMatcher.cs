using System.Numerics;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Recognizes one sequence's output against a <see cref="Grammar"/> byte by byte and computes which tokens may come
/// next. The state is a set of parse stacks (a pushdown recognizer with every alternative explored at once, as
/// llama.cpp's grammar): each stack's top is a byte-set element, the rest a chain of continuation nodes in an arena
/// (calls in tail position reuse the caller's continuation, so repetition does not deepen stacks). Accepting a token
/// advances the state by its bytes; the mask is one sweep over the vocabulary trie that advances the state along
/// each prefix and skips subtrees whose prefix is rejected. Masks are cached per state content in the grammar
/// (shared by all its matchers over the same vocabulary). One instance per sequence; not thread-safe.
/// </summary>
public sealed class GrammarMatcher
{
    /// <summary>Most parse stacks at one point: more means the grammar is too ambiguous to follow.</summary>
    public const int MaxStacks = 512;

    /// <summary>Most continuation nodes one matcher may hold (about 32 MB), so deep recursion fails cleanly.</summary>
    public const int MaxNodes = 1 << 22;

    /// <summary>Most nested calls expanded at one point.</summary>
    public const int MaxExpansionDepth = 4096;

    /// <summary>Longest state key cached; deeper states (deep recursion) are computed every time.</summary>
    private const int MaxKeyLength = 8192;

    /// <summary>Top of a stack that has popped everything: the grammar may end here.</summary>
    private const int AcceptPos = -1;

    private readonly Grammar _g;
    private readonly TokenVocabulary _v;
    private readonly MaskCache _cache;
    private readonly int[] _code;
    private readonly int[] _altStarts;
    private readonly int[] _ruleAlt;
    private readonly Dictionary<long, int> _cons = new();

    // Continuation nodes: position to resume at, and the node below. [0, _committed) belong to committed states
    // (hash-consed, so equal states have equal node ids); above that, scratch of the mask sweep.
    private int[] _nPos = new int[256];
    private int[] _nParent = new int[256];
    private int _nCount;
    private int _committed;
    private bool _consing;
    private int _levelArenaStart;

    // Stacks of every level of the sweep (level d: after d bytes), flat.
    private int[] _sPos = new int[256];
    private int[] _sNode = new int[256];
    private int _outStart;
    private int _outEnd;
    private int[] _lvStart;
    private int[] _lvEnd;
    private int[] _lvArena;

    // Sweep memo per level: which parent stacks the byte matched. Siblings in the trie matching the same parent
    // stacks produce the same level (same stacks, same scratch nodes, as the arena restarts at the same mark), so the
    // level already in place is reused: inside a string most bytes match the same character-class stack.
    private ulong[] _lvSig;
    private bool[] _lvValid;

    // Per level and byte, which of its stacks the byte matches, stamped with the level's content version: a level
    // reused across many siblings answers each child byte with one load instead of a loop over its stacks.
    private int[] _lvVersion;
    private int _versions;
    private readonly ulong[] _sigCache;
    private readonly int[] _sigStamp;

    // Self-loops of the swept state S (level 0): the bytes b after which the state is exactly S again (a string's
    // character loop). Computed once per sweep, the first time some level returns to S; then a subtree whose bytes
    // are all such loops, hanging below a level equal to S, is allowed whole without visiting it.
    private bool[] _lvRoot;
    private bool _loopsKnown;
    private readonly ulong[] _loops = new ulong[4];

    // The committed state, sorted, and the initial one for Reset.
    private int[] _curPos = [];
    private int[] _curNode = [];
    private int _curCount;
    private readonly int[] _initPos;
    private readonly int[] _initNode;
    private bool _eogAccepted;

    private readonly ulong[] _bits;
    private int[] _key = new int[64];

    public GrammarMatcher(Grammar grammar, TokenVocabulary vocabulary)
    {
        _g = grammar;
        _v = vocabulary;
        _cache = grammar.MaskCacheFor(vocabulary);
        _code = grammar.Code;
        _altStarts = grammar.AltStarts;
        _ruleAlt = grammar.RuleAlt;
        int levels = vocabulary.MaxDepth + 2;
        _lvStart = new int[levels];
        _lvEnd = new int[levels];
        _lvArena = new int[levels];
        _lvSig = new ulong[levels];
        _lvValid = new bool[levels];
        _lvVersion = new int[levels];
        _lvRoot = new bool[levels];
        _sigCache = new ulong[levels * 256];
        _sigStamp = new int[levels * 256];
        _bits = new ulong[(vocabulary.Count + 63) >> 6];

        _consing = true;
        _outStart = 0;
        _outEnd = 0;
        _levelArenaStart = 0;
        int root = grammar.Root;
        for (int a = _ruleAlt[root]; a < _ruleAlt[root + 1]; a++)
        {
            Expand(_altStarts[a], -1, 0);
        }

        _consing = false;
        _committed = _nCount;
        Commit(0, _outEnd);
        _initPos = _curPos.AsSpan(0, _curCount).ToArray();
        _initNode = _curNode.AsSpan(0, _curCount).ToArray();
    }

    public Grammar Grammar => _g;

    public TokenVocabulary Vocabulary => _v;

    /// <summary>The output so far is a complete sentence of the grammar (end-of-generation is allowed).</summary>
    public bool CanTerminate => _eogAccepted || HasAccept();

    /// <summary>Complete and nothing else can follow (or end-of-generation was accepted): only EOG is allowed.</summary>
    public bool IsComplete => _eogAccepted || (_curCount == 1 && _curPos[0] == AcceptPos);

    /// <summary>Parse stacks in the current state (for diagnostics and tests).</summary>
    public int StackCount => _curCount;

    /// <summary>Back to the start of the grammar.</summary>
    public void Reset()
    {
        _eogAccepted = false;
        SetCurrent(_initPos, _initNode, _initPos.Length);
    }

    /// <summary>
    /// Advances by token <paramref name="tokenId"/>; false (state unchanged) when the grammar rejects it. An
    /// end-of-generation id is accepted only where the grammar can end.
    /// </summary>
    public bool Accept(int tokenId)
    {
        if ((uint)tokenId >= (uint)_v.Count || _eogAccepted)
        {
            return false;
        }

        if (_v.IsEndOfGeneration(tokenId))
        {
            if (!HasAccept())
            {
                return false;
            }

            _eogAccepted = true;
            return true;
        }

        return AcceptBytes(_v.Piece(tokenId));
    }

    /// <summary>Advances by raw bytes (a forced prefix, or tests); false (state unchanged) when rejected.</summary>
    public bool AcceptBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || _eogAccepted)
        {
            return false;
        }

        if (bytes.Length + 2 > _lvStart.Length)
        {
            Array.Resize(ref _lvStart, bytes.Length + 2);
            Array.Resize(ref _lvEnd, bytes.Length + 2);
            Array.Resize(ref _lvArena, bytes.Length + 2);
            Array.Resize(ref _lvSig, bytes.Length + 2);
            Array.Resize(ref _lvValid, bytes.Length + 2);
            Array.Resize(ref _lvVersion, bytes.Length + 2);
            Array.Resize(ref _lvRoot, bytes.Length + 2);
        }

        LoadLevelZero();
        _nCount = _committed;
        _consing = true;
        try
        {
            for (int k = 0; k < bytes.Length; k++)
            {
                if (!Step(k + 1, bytes[k]))
                {
                    return false;
                }
            }

            Commit(_lvStart[bytes.Length], _lvEnd[bytes.Length]);
            return true;
        }
        finally
        {
            // Consed nodes are in the dictionary: keep them committed even when the token was rejected.
            _consing = false;
            _committed = _nCount;
            if (_nCount > MaxNodes)
            {
                throw new GrammarException($"the grammar state grew beyond {MaxNodes} nodes (recursion too deep)");
            }
        }
    }

    /// <summary>
    /// Writes the allowed-token bitset (bit id set = allowed) into <paramref name="allowed"/> (at least
    /// ⌈vocabulary/64⌉ words). Returns whether any token is allowed.
    /// </summary>
    public bool FillMask(Span<ulong> allowed)
    {
        int words = (_v.Count + 63) >> 6;
        if (allowed.Length < words)
        {
            throw new ArgumentException($"the mask needs {words} words for {_v.Count} tokens", nameof(allowed));
        }

        allowed.Clear();
        bool accepting = CanTerminate;
        if (!_eogAccepted && !IsComplete && _curCount > 0)
        {
            var mask = allowed[..words];
            int len = BuildKey(out int hash);
            if (len < 0 || !_cache.TryGet(_key, len, hash, mask))
            {
                Sweep(mask);
                if (len >= 0)
                {
                    _cache.Add(_key, len, hash, mask);
                }
            }
        }

        if (accepting)
        {
            var eog = _v.EndOfGenerationIds;
            for (int i = 0; i < eog.Count; i++)
            {
                allowed[eog[i] >> 6] |= 1UL << (eog[i] & 63);
            }
        }

        for (int w = 0; w < words; w++)
        {
            if (allowed[w] != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sets the logit of every token the grammar rejects (and of ids beyond the vocabulary) to −∞.
    /// Returns whether any token is allowed.</summary>
    public bool ApplyMask(Span<float> logits)
    {
        bool any = FillMask(_bits);
        int n = logits.Length;
        for (int w = 0; w * 64 < n; w++)
        {
            ulong word = w < _bits.Length ? _bits[w] : 0;
            if (word == ulong.MaxValue)
            {
                continue;
            }

            int end = Math.Min(n, (w + 1) * 64);
            for (int id = w * 64; id < end; id++)
            {
                if ((word & (1UL << (id & 63))) == 0)
                {
                    logits[id] = float.NegativeInfinity;
                }
            }
        }

        return any;
    }

    /// <summary>Whether token <paramref name="tokenId"/> is allowed now (computes the mask; for tests and checks).</summary>
    public bool IsAllowed(int tokenId)
    {
        FillMask(_bits);
        return (uint)tokenId < (uint)_v.Count && (_bits[tokenId >> 6] & (1UL << (tokenId & 63))) != 0;
    }

    private bool HasAccept()
    {
        for (int i = 0; i < _curCount; i++)
        {
            if (_curPos[i] == AcceptPos)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Advances level d−1 by byte <paramref name="b"/> into level d; false when no stack survives.</summary>
    private bool Step(int d, byte b)
    {
        int srcStart = _lvStart[d - 1];
        int srcEnd = _lvEnd[d - 1];
        _outStart = srcEnd;
        _outEnd = srcEnd;
        _levelArenaStart = _nCount;
        var code = _code;
        var sets = _g.Sets;
        int word = b >> 6;
        ulong bit = 1UL << (b & 63);
        for (int s = srcStart; s < srcEnd; s++)
        {
            int pos = _sPos[s];
            if (pos >= 0 && (sets[(code[pos] << 2) + word] & bit) != 0)
            {
                Expand(pos + 1, _sNode[s], 0);
            }
        }

        _lvStart[d] = srcEnd;
        _lvEnd[d] = _outEnd;
        _lvArena[d] = _nCount;
        return _outEnd > srcEnd;
    }

    /// <summary>The trie sweep: level d holds the stacks after the first d bytes of the current trie path.</summary>
    private void Sweep(Span<ulong> mask)
    {
        LoadLevelZero();
        _nCount = _committed;
        var trieByte = _v.TrieByte;
        var trieDepth = _v.TrieDepth;
        var trieEnd = _v.TrieEnd;
        var tokStart = _v.TrieTokStart;
        var tokens = _v.TrieTokens;
        int count = _v.TrieCount;
        var code = _code;
        var sets = _g.Sets;
        var subtreeSet = _v.TrieSubtreeSet;
        var subtreeSets = _v.SubtreeSets;
        _lvValid.AsSpan().Clear();
        _lvVersion[0] = ++_versions;
        _lvRoot[0] = true;
        _loopsKnown = false;
        int i = 1;
        while (i < count)
        {
            int d = trieDepth[i];
            byte b = trieByte[i];
            if (_loopsKnown && _lvRoot[d - 1])
            {
                int set = subtreeSet[i] << 2;
                if ((subtreeSets[set] & ~_loops[0]) == 0 && (subtreeSets[set + 1] & ~_loops[1]) == 0 &&
                    (subtreeSets[set + 2] & ~_loops[2]) == 0 && (subtreeSets[set + 3] & ~_loops[3]) == 0)
                {
                    int end = trieEnd[i];
                    for (int k = tokStart[i]; k < tokStart[end]; k++)
                    {
                        int t = tokens[k];
                        mask[t >> 6] |= 1UL << (t & 63);
                    }

                    i = end;
                    continue;
                }
            }

            int srcStart = _lvStart[d - 1];
            int srcEnd = _lvEnd[d - 1];
            if (srcEnd - srcStart <= 64)
            {
                int slot = ((d - 1) << 8) + b;
                ulong sig;
                if (_sigStamp[slot] == _lvVersion[d - 1])
                {
                    sig = _sigCache[slot];
                }
                else
                {
                    int word = b >> 6;
                    ulong bit = 1UL << (b & 63);
                    sig = 0;
                    for (int st = srcStart; st < srcEnd; st++)
                    {
                        int pos = _sPos[st];
                        if (pos >= 0 && (sets[(code[pos] << 2) + word] & bit) != 0)
                        {
                            sig |= 1UL << (st - srcStart);
                        }
                    }

                    _sigCache[slot] = sig;
                    _sigStamp[slot] = _lvVersion[d - 1];
                }

                if (sig == 0)
                {
                    i = trieEnd[i];
                    continue;
                }

                if (!_lvValid[d] || _lvSig[d] != sig)
                {
                    // Nodes made for deeper levels of the previous path are dead: reuse their slots.
                    _nCount = _lvArena[d - 1];
                    Step(d, b);
                    _lvSig[d] = sig;
                    _lvValid[d] = true;
                    _lvVersion[d] = ++_versions;
                    NoteReturnToRoot(d);
                    if (d + 1 < _lvValid.Length)
                    {
                        _lvValid[d + 1] = false;
                    }
                }
            }
            else
            {
                _nCount = _lvArena[d - 1];
                _lvValid[d] = false;
                _lvVersion[d] = ++_versions;
                if (d + 1 < _lvValid.Length)
                {
                    _lvValid[d + 1] = false;
                }

                if (!Step(d, b))
                {
                    i = trieEnd[i];
                    continue;
                }

                NoteReturnToRoot(d);
            }

            for (int k = tokStart[i]; k < tokStart[i + 1]; k++)
            {
                int t = tokens[k];
                mask[t >> 6] |= 1UL << (t & 63);
            }

            i++;
        }

        _nCount = _committed;
    }

    /// <summary>Marks whether level d is exactly the swept state; the first time one is, finds all self-loops.</summary>
    private void NoteReturnToRoot(int d)
    {
        _lvRoot[d] = SameAsRoot(_lvStart[d], _lvEnd[d]);
        if (!_lvRoot[d] || _loopsKnown)
        {
            return;
        }

        // Scratch above level d: every byte from level 0, kept only when the result is level 0 itself.
        int savedNodes = _nCount;
        int scratch = _lvEnd[d];
        Array.Clear(_loops);
        var code = _code;
        var sets = _g.Sets;
        for (int b = 0; b < 256; b++)
        {
            _nCount = savedNodes;
            _levelArenaStart = _nCount;
            _outStart = scratch;
            _outEnd = scratch;
            int word = b >> 6;
            ulong bit = 1UL << (b & 63);
            for (int s = _lvStart[0]; s < _lvEnd[0]; s++)
            {
                int pos = _sPos[s];
                if (pos >= 0 && (sets[(code[pos] << 2) + word] & bit) != 0)
                {
                    Expand(pos + 1, _sNode[s], 0);
                }
            }

            if (_outEnd > scratch && SameAsRoot(scratch, _outEnd))
            {
                _loops[word] |= bit;
            }
        }

        _nCount = savedNodes;
        _loopsKnown = true;
    }

    /// <summary>Whether stacks [start, end) are exactly level 0's (same pairs; both are duplicate-free).</summary>
    private bool SameAsRoot(int start, int end)
    {
        int n = _lvEnd[0] - _lvStart[0];
        if (end - start != n)
        {
            return false;
        }

        for (int i = start; i < end; i++)
        {
            bool found = false;
            for (int j = _lvStart[0]; j < _lvEnd[0]; j++)
            {
                if (_sPos[j] == _sPos[i] && _sNode[j] == _sNode[i])
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private void LoadLevelZero()
    {
        EnsureStacks(_curCount);
        _curPos.AsSpan(0, _curCount).CopyTo(_sPos);
        _curNode.AsSpan(0, _curCount).CopyTo(_sNode);
        _lvStart[0] = 0;
        _lvEnd[0] = _curCount;
        _lvArena[0] = _committed;
    }

    /// <summary>Pushes what can follow position <paramref name="pos"/> with continuation <paramref name="node"/>:
    /// a byte-set top as is, calls expanded into their alternatives, ends of alternatives popped.</summary>
    private void Expand(int pos, int node, int depth)
    {
        while (true)
        {
            if (depth > MaxExpansionDepth)
            {
                throw new GrammarException($"grammar expansion deeper than {MaxExpansionDepth} nested calls");
            }

            int e = _code[pos];
            if (e >= 0)
            {
                Push(pos, node);
                return;
            }

            if (e == Grammar.End)
            {
                if (node < 0)
                {
                    Push(AcceptPos, -1);
                    return;
                }

                pos = _nPos[node];
                node = _nParent[node];
                depth++;
                continue;
            }

            int rule = -(e + 2);
            // A call in tail position returns straight to our caller: no node, so loops stay flat.
            int cont = _code[pos + 1] == Grammar.End ? node : NewNode(pos + 1, node);
            int last = _ruleAlt[rule + 1] - 1;
            for (int a = _ruleAlt[rule]; a < last; a++)
            {
                Expand(_altStarts[a], cont, depth + 1);
            }

            pos = _altStarts[last];
            node = cont;
            depth++;
        }
    }

    private void Push(int pos, int node)
    {
        for (int i = _outStart; i < _outEnd; i++)
        {
            if (_sPos[i] == pos && _sNode[i] == node)
            {
                return;
            }
        }

        if (_outEnd - _outStart >= MaxStacks)
        {
            throw new GrammarException($"the grammar is too ambiguous: more than {MaxStacks} parse stacks at one point");
        }

        EnsureStacks(_outEnd + 1);
        _sPos[_outEnd] = pos;
        _sNode[_outEnd] = node;
        _outEnd++;
    }

    private int NewNode(int pos, int parent)
    {
        long key = ((long)pos << 32) | (uint)parent;
        if (_consing)
        {
            if (_cons.TryGetValue(key, out int id))
            {
                return id;
            }
        }
        else
        {
            // A committed node with this content is reused (never freed while the matcher lives), so a sweep that
            // loops back to the committed state recognises it; otherwise equal scratch nodes made for this level
            // are shared so stacks deduplicate.
            if (_cons.TryGetValue(key, out int committed) && committed < _committed)
            {
                return committed;
            }

            for (int i = _nCount - 1; i >= _levelArenaStart; i--)
            {
                if (_nPos[i] == pos && _nParent[i] == parent)
                {
                    return i;
                }
            }
        }

        if (_nCount == _nPos.Length)
        {
            if (_nCount >= MaxNodes)
            {
                throw new GrammarException($"the grammar state grew beyond {MaxNodes} nodes (recursion too deep)");
            }

            Array.Resize(ref _nPos, _nCount * 2);
            Array.Resize(ref _nParent, _nCount * 2);
        }

        _nPos[_nCount] = pos;
        _nParent[_nCount] = parent;
        if (_consing)
        {
            _cons[key] = _nCount;
        }

        return _nCount++;
    }

    private void EnsureStacks(int n)
    {
        if (n > _sPos.Length)
        {
            int size = Math.Max(n, _sPos.Length * 2);
            Array.Resize(ref _sPos, size);
            Array.Resize(ref _sNode, size);
        }
    }

    /// <summary>Makes stacks [start, end) of the level arrays the current state, sorted so equal states compare
    /// equal.</summary>
    private void Commit(int start, int end)
    {
        int n = end - start;
        if (_curPos.Length < n)
        {
            _curPos = new int[Math.Max(n, _curPos.Length * 2)];
            _curNode = new int[_curPos.Length];
        }

        for (int i = 0; i < n; i++)
        {
            // Insertion sort: states hold a handful of stacks.
            int p = _sPos[start + i];
            int q = _sNode[start + i];
            int j = i - 1;
            while (j >= 0 && (_curPos[j] > p || (_curPos[j] == p && _curNode[j] > q)))
            {
                _curPos[j + 1] = _curPos[j];
                _curNode[j + 1] = _curNode[j];
                j--;
            }

            _curPos[j + 1] = p;
            _curNode[j + 1] = q;
        }

        _curCount = n;
    }

    private void SetCurrent(int[] pos, int[] node, int n)
    {
        if (_curPos.Length < n)
        {
            _curPos = new int[n];
            _curNode = new int[n];
        }

        pos.AsSpan(0, n).CopyTo(_curPos);
        node.AsSpan(0, n).CopyTo(_curNode);
        _curCount = n;
    }

    /// <summary>The state's content (each stack's positions top to bottom) in <see cref="_key"/>; −1 when too long
    /// to be worth caching.</summary>
    private int BuildKey(out int hash)
    {
        int len = 0;
        uint h = 2166136261;
        for (int i = 0; i < _curCount; i++)
        {
            int node = _curNode[i];
            if (!Put(_curPos[i], ref len, ref h))
            {
                hash = 0;
                return -1;
            }

            while (node >= 0)
            {
                if (!Put(_nPos[node], ref len, ref h))
                {
                    hash = 0;
                    return -1;
                }

                node = _nParent[node];
            }

            if (!Put(int.MinValue, ref len, ref h))
            {
                hash = 0;
                return -1;
            }
        }

        hash = (int)h;
        return len;
    }

    private bool Put(int value, ref int len, ref uint h)
    {
        if (len >= MaxKeyLength)
        {
            return false;
        }

        if (len == _key.Length)
        {
            Array.Resize(ref _key, _key.Length * 2);
        }

        _key[len++] = value;
        h = BitOperations.RotateLeft((h ^ (uint)value) * 16777619u, 5);
        return true;
    }
}
