using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2) as llama.cpp's llm_tokenizer_bpe: split the text into
/// words with the model's pre-tokenizer, spell each word's UTF-8 bytes in the GPT-2 alphabet, then join the
/// adjacent pair with the lowest merge rank until none is left (ties: leftmost), with a priority queue over
/// pairs. Pieces are handled as integer symbols (vocabulary ids, plus ids for merge results missing from the
/// vocabulary) so merging never builds strings. Words are cached, since natural text repeats them.
/// </summary>
public sealed class ByteLevelBpeTokenizer : TokenizerBase
{
    private const int MaxCachedWordLength = 64;   // chars; longer words are rare and not worth keeping
    private const int MaxCacheEntries = 1 << 17;

    private readonly PreTokenizer _pre;
    private readonly Dictionary<long, (int Rank, int Merged)> _merges; // key: left symbol << 32 | right symbol
    private readonly List<string> _extraSymbols = [];                   // text of symbol VocabSize + i
    private readonly int[] _byteSymbol = new int[256];                  // [byte] symbol of the single byte
    private readonly int[] _asciiToken = new int[128];                  // [char] one-character token, −1 if none
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    /// <exception cref="NotSupportedException">The pre-tokenizer name is not one this engine implements.</exception>
    public ByteLevelBpeTokenizer(TokenizerData data)
        : base(data)
    {
        _pre = new PreTokenizer(data.PreTokenizer);
        var merges = data.Merges ?? [];
        _merges = new Dictionary<long, (int, int)>(merges.Count, PairKeyComparer.Instance);
        var extraIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < merges.Count; r++)
        {
            string m = merges[r] ?? "";
            int sp = m.IndexOf(' ', Math.Min(1, m.Length));
            if (sp <= 0 || sp == m.Length - 1)
            {
                continue; // not "left right": llama.cpp keeps an empty pair that can never apply
            }

            int left = Symbol(m[..sp], extraIds);
            int right = Symbol(m[(sp + 1)..], extraIds);
            int merged = Symbol(string.Concat(m.AsSpan(0, sp), m.AsSpan(sp + 1)), extraIds);
            _merges.TryAdd(((long)left << 32) | (uint)right, (r, merged)); // first rank wins, as llama.cpp's emplace
        }

        for (int b = 0; b < 256; b++)
        {
            _byteSymbol[b] = Symbol(ByteLevelAlphabet.ToChar((byte)b).ToString(), extraIds);
        }

        for (int c = 0; c < 128; c++)
        {
            _asciiToken[c] = FindToken(((char)c).ToString());
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        BuildPieces();
    }

    public override TokenizerKind Kind => TokenizerKind.ByteLevelBpe;

    public override bool AddsSpacePrefix => false;

    /// <summary>The pre-tokenizer in use (its name and llama.cpp's ignore_merges flag).</summary>
    public PreTokenizer PreTokenizer => _pre;

    /// <summary>Symbol id of a piece text: its vocabulary id, or an id past the vocabulary for merge pieces
    /// that are not tokens themselves (llama.cpp then spells them out by their ASCII characters).</summary>
    private int Symbol(string text, Dictionary<string, int> extraIds)
    {
        int id = FindToken(text);
        if (id >= 0)
        {
            return id;
        }

        if (!extraIds.TryGetValue(text, out id))
        {
            id = VocabSize + _extraSymbols.Count;
            _extraSymbols.Add(text);
            extraIds[text] = id;
        }

        return id;
    }

    protected override byte[] NormalPieceBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        foreach (char c in text)
        {
            if (ByteLevelAlphabet.TryToByte(c, out byte b))
            {
                bytes.Add(b);
            }
            else
            {
                // llama.cpp's llama_decode_text marks characters outside the alphabet this way.
                var utf8 = Encoding.UTF8.GetBytes(c.ToString());
                bytes.AddRange(Encoding.UTF8.GetBytes($"[UNK_BYTE_0x{Convert.ToHexStringLower(utf8)}{text}]"));
            }
        }

        return bytes.ToArray();
    }

    protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        var words = new List<Range>();
        _pre.Split(text, words);
        foreach (var range in words)
        {
            var word = text[range];
            bool cacheable = word.Length <= MaxCachedWordLength;
            if (cacheable && _cacheLookup.TryGetValue(word, out int[]? ids))
            {
                output.AddRange(ids);
                continue;
            }

            ids = EncodeWord(word);
            if (cacheable && Volatile.Read(ref _cacheCount) < MaxCacheEntries && _cacheLookup.TryAdd(word, ids))
            {
                Interlocked.Increment(ref _cacheCount);
            }

            output.AddRange(ids);
        }
    }

    /// <summary>long's own hash (low ^ high half) collides badly for pairs of small ids; mix the bits instead.</summary>
    private sealed class PairKeyComparer : IEqualityComparer<long>
    {
        public static readonly PairKeyComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }

    /// <summary>One symbol of a word: a run of its bytes, linked to its live neighbours.</summary>
    private struct Sym
    {
        public int Id;     // symbol id (see Symbol)
        public int Length; // bytes; 0 once joined into the left neighbour
        public int Prev;
        public int Next;
    }

    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(word.Length));
        Sym[] sym = ArrayPool<Sym>.Shared.Rent(utf8.Length);
        try
        {
            int n = Encoding.UTF8.GetBytes(word, utf8);
            if (_pre.IgnoreMerges && FindToken(ByteLevelAlphabet.Encode(utf8.AsSpan(0, n))) is int whole and >= 0)
            {
                return [whole];
            }

            for (int i = 0; i < n; i++)
            {
                sym[i] = new Sym { Id = _byteSymbol[utf8[i]], Length = 1, Prev = i - 1, Next = i + 1 < n ? i + 1 : -1 };
            }

            var queue = MergeQueue.Rent();
            for (int i = 1; i < n; i++)
            {
                TryAddPair(sym, i - 1, i, queue);
            }

            while (queue.TryPop(out var pair))
            {
                ref var left = ref sym[pair.Left];
                ref var right = ref sym[pair.Right];
                if (left.Length == 0 || right.Length == 0 || left.Id != pair.A || right.Id != pair.B)
                {
                    continue; // stale: a side was joined to something else since (A, B: the symbols then)
                }

                Debug.Assert(left.Next == pair.Right, "a live pair joins neighbours");
                left.Id = _merges[((long)left.Id << 32) | (uint)right.Id].Merged;
                left.Length += right.Length;
                right.Length = 0;
                left.Next = right.Next;
                if (right.Next >= 0)
                {
                    sym[right.Next].Prev = pair.Left;
                }

                TryAddPair(sym, left.Prev, pair.Left, queue);
                TryAddPair(sym, pair.Left, left.Next, queue);
            }

            var ids = new List<int>(n);
            for (int i = 0; n > 0 && i >= 0; i = sym[i].Next)
            {
                int id = sym[i].Id;
                if (id < VocabSize)
                {
                    ids.Add(id);
                    continue;
                }

                // A merge result that is not a token: llama.cpp looks each byte of its UTF-8 spelling up as a
                // one-byte token, which finds only the ASCII characters of the alphabet.
                foreach (char c in _extraSymbols[id - VocabSize])
                {
                    if (c < 128 && _asciiToken[c] >= 0)
                    {
                        ids.Add(_asciiToken[c]);
                    }
                }
            }

            return ids.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<Sym>.Shared.Return(sym);
        }
    }

    private void TryAddPair(Sym[] sym, int left, int right, MergeQueue queue)
    {
        if (left < 0 || right < 0)
        {
            return;
        }

        if (_merges.TryGetValue(((long)sym[left].Id << 32) | (uint)sym[right].Id, out var merge))
        {
            // Lowest rank first, then leftmost (llama.cpp's llm_bigram_bpe::comparator).
            queue.Push(new MergeCandidate { Key = MergeQueue.RankKey(merge.Rank, left), Left = left, Right = right, A = sym[left].Id, B = sym[right].Id });
        }
    }
}
