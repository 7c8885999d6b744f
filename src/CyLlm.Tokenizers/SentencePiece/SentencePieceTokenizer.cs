using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace CyLlm.Tokenizers.SentencePiece;

/// <summary>
/// SentencePiece-style BPE exactly as llama.cpp's llm_tokenizer_spm (LLAMA_VOCAB_TYPE_SPM): the run gets a
/// leading space when the model adds a space prefix and the run starts the text or follows a special token;
/// spaces become U+2581; the text is split into characters; then, repeatedly, the adjacent pair whose joined
/// text is a vocabulary piece with the highest score is joined (ties: leftmost), using a priority queue of
/// candidate pairs. Characters that end up outside the vocabulary become byte tokens &lt;0xXX&gt; (or UNK).
/// llama2.c tokenizer.bin vocabularies, normalised to U+2581 by their loader, use the same algorithm; note
/// llama2.c's own encoder differs slightly (it merges the best pair by rescanning), llama.cpp is the reference.
/// </summary>
public sealed class SentencePieceTokenizer : TokenizerBase
{
    private const char Space = '\u2581';
    private readonly float[] _scores;        // [vocab] merge priority of each piece (higher first)
    private readonly int[] _byteIds = new int[256]; // [byte] byte-fallback token, −1 when the vocabulary has none

    public SentencePieceTokenizer(TokenizerData data)
        : base(data)
    {
        _scores = data.Scores?.ToArray() ?? new float[data.Tokens.Count];
        for (int b = 0; b < 256; b++)
        {
            // llama.cpp byte_to_token: "<0xAB>", else the byte itself as a one-character piece.
            _byteIds[b] = FindToken($"<0x{b:X2}>");
            if (_byteIds[b] < 0 && b < 0x80)
            {
                _byteIds[b] = FindToken(((char)b).ToString());
            }
        }

        BuildPieces();
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePiece;

    public override bool AddsSpacePrefix => Data.AddSpacePrefix;

    protected override byte[] NormalPieceBytes(string text) => Encoding.UTF8.GetBytes(text.Replace(Space, ' '));

    /// <summary>One symbol of the run: a span of the normalised text, linked to its live neighbours.</summary>
    private struct Symbol
    {
        public int Start;  // offset in the normalised text (chars)
        public int Length; // chars; 0 once joined into the left neighbour
        public int Prev;   // index of the previous live symbol, −1 at the start
        public int Next;   // index of the next live symbol, −1 at the end
    }

    protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        int cap = text.Length + 1;
        char[] norm = ArrayPool<char>.Shared.Rent(cap);
        Symbol[] sym = ArrayPool<Symbol>.Shared.Rent(cap);
        try
        {
            int n = 0;
            if (Data.AddSpacePrefix && afterSpecial)
            {
                norm[n++] = Space;
            }

            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    norm[n++] = c;
                    norm[n++] = text[++i];
                    continue;
                }

                if (char.IsSurrogate(c))
                {
                    c = '\uFFFD'; // a lone surrogate is not text; UTF-8 encoders write U+FFFD for it too
                }

                norm[n++] = c == ' ' ? Space : c;
            }

            int count = 0;
            for (int i = 0; i < n;)
            {
                int len = char.IsHighSurrogate(norm[i]) && i + 1 < n && char.IsLowSurrogate(norm[i + 1]) ? 2 : 1;
                sym[count] = new Symbol { Start = i, Length = len, Prev = count - 1, Next = i + len < n ? count + 1 : -1 };
                count++;
                i += len;
            }

            if (count == 0)
            {
                return;
            }

            var normText = norm.AsSpan(0, n);
            var queue = MergeQueue.Rent();
            for (int i = 1; i < count; i++)
            {
                TryAddBigram(normText, sym, i - 1, i, queue);
            }

            while (queue.TryPop(out var bigram))
            {
                ref var left = ref sym[bigram.Left];
                ref var right = ref sym[bigram.Right];
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.A)
                {
                    continue; // stale: one side was joined to something else since (A: the joined size)
                }

                Debug.Assert(left.Next == bigram.Right, "a live bigram joins neighbours");
                left.Length += right.Length;
                right.Length = 0;
                left.Next = right.Next;
                if (right.Next >= 0)
                {
                    sym[right.Next].Prev = bigram.Left;
                }

                TryAddBigram(normText, sym, left.Prev, bigram.Left, queue);
                TryAddBigram(normText, sym, bigram.Left, left.Next, queue);
            }

            for (int i = 0; i >= 0; i = sym[i].Next)
            {
                var piece = normText.Slice(sym[i].Start, sym[i].Length);
                if (IdLookup.TryGetValue(piece, out int id))
                {
                    output.Add(id);
                }
                else
                {
                    AddBytes(piece, output);
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(norm);
            ArrayPool<Symbol>.Shared.Return(sym);
        }
    }

    /// <summary>Byte fallback for a character outside the vocabulary (joined symbols are always pieces).</summary>
    private void AddBytes(ReadOnlySpan<char> piece, List<int> output)
    {
        Span<byte> utf8 = stackalloc byte[16];
        Debug.Assert(piece.Length <= 2, "only single characters can miss the vocabulary");
        int len = Encoding.UTF8.GetBytes(piece, utf8);
        for (int k = 0; k < len; k++)
        {
            int bid = _byteIds[utf8[k]];
            if (bid >= 0)
            {
                output.Add(bid);
            }
            else if (Data.UnkId >= 0)
            {
                // llama.cpp would fail here (no byte token); UNK keeps the text encodable.
                output.Add(Data.UnkId);
                return;
            }
        }
    }

    private void TryAddBigram(ReadOnlySpan<char> text, Symbol[] sym, int left, int right, MergeQueue queue)
    {
        if (left < 0 || right < 0)
        {
            return;
        }

        int size = sym[left].Length + sym[right].Length;
        if (IdLookup.TryGetValue(text.Slice(sym[left].Start, size), out int id))
        {
            // Highest score first, equal scores leftmost first (llama.cpp's llm_bigram_spm::comparator).
            queue.Push(new MergeCandidate { Key = MergeQueue.ScoreKey(_scores[id], left), Left = left, Right = right, A = size });
        }
    }
}
