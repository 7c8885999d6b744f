using System.Globalization;
using System.Text;

namespace CyLlm.Tokenizers.SentencePiece;

/// <summary>
/// SentencePiece-style BPE as llama.cpp's llm_tokenizer_spm: spaces become U+2581 (with a leading one when
/// the model adds a space prefix), the text is split into UTF-8 characters, and the adjacent pair whose
/// merged piece has the highest score is merged until none is in the vocabulary (ties: leftmost). Symbols
/// that never reach a vocabulary piece fall back to byte tokens &lt;0xXX&gt;, or UNK.
/// </summary>
public sealed class SentencePieceTokenizer : TokenizerBase
{
    private const char Space = '\u2581';
    private readonly Dictionary<string, int> _ids;
    private readonly float[] _scores;
    private readonly int[] _byteIds = new int[256];

    public SentencePieceTokenizer(TokenizerData data)
        : base(data)
    {
        _ids = new Dictionary<string, int>(data.Tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < data.Tokens.Count; i++)
        {
            _ids.TryAdd(data.Tokens[i], i);
        }

        _scores = data.Scores?.ToArray() ?? new float[data.Tokens.Count];
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = _ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    protected override int Lookup(string piece) => _ids.TryGetValue(piece, out int id) ? id : -1;

    protected override byte[] PieceToBytes(int id, string piece, int type)
    {
        if (type == 6 && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal)
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
        {
            return [b];
        }

        return Encoding.UTF8.GetBytes(piece.Replace(Space, ' '));
    }

    private struct Symbol
    {
        public int Start;   // offset in the normalised text
        public int Length;  // chars; 0 once merged into its left neighbour
        public int Prev;
        public int Next;
    }

    protected override void EncodeText(string text, bool atStart, List<int> output)
    {
        var sb = new StringBuilder(text.Length + 1);
        if (Data.AddSpacePrefix && atStart)
        {
            sb.Append(Space);
        }

        foreach (char c in text)
        {
            sb.Append(c == ' ' ? Space : c);
        }

        string s = sb.ToString();
        // One symbol per Unicode scalar value (surrogate pairs stay together).
        var symbols = new List<Symbol>(s.Length);
        for (int i = 0; i < s.Length;)
        {
            int len = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol { Start = i, Length = len, Prev = symbols.Count - 1, Next = symbols.Count + 1 });
            i += len;
        }

        if (symbols.Count == 0)
        {
            return;
        }

        var sym = symbols.ToArray();
        sym[^1].Next = -1;
        // Max-heap of candidate bigrams by (score desc, left position asc).
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float, int)>(Comparer<(float Score, int Left)>.Create((a, b) =>
        {
            int c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : a.Left.CompareTo(b.Left);
        }));
        for (int i = 1; i < sym.Length; i++)
        {
            TryAddBigram(s, sym, i - 1, i, queue);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref sym[bigram.Left];
            ref var right = ref sym[bigram.Right];
            // Stale entry: one side already merged or changed size.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size || left.Next != bigram.Right)
            {
                continue;
            }

            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                sym[right.Next].Prev = bigram.Left;
            }

            if (left.Prev >= 0)
            {
                TryAddBigram(s, sym, left.Prev, bigram.Left, queue);
            }

            if (left.Next >= 0)
            {
                TryAddBigram(s, sym, bigram.Left, left.Next, queue);
            }
        }

        for (int i = 0; i >= 0; i = sym[i].Next)
        {
            var piece = s.Substring(sym[i].Start, sym[i].Length);
            if (_ids.TryGetValue(piece, out int id))
            {
                output.Add(id);
                continue;
            }

            // Byte fallback: every UTF-8 byte of the symbol as its own token.
            foreach (byte b in Encoding.UTF8.GetBytes(piece))
            {
                int bid = _byteIds[b];
                if (bid >= 0)
                {
                    output.Add(bid);
                }
                else if (Data.UnkId >= 0)
                {
                    output.Add(Data.UnkId);
                    break;
                }
            }
        }
    }

    private void TryAddBigram(string s, Symbol[] sym, int left, int right, PriorityQueue<(int, int, int), (float, int)> queue)
    {
        if (left < 0 || right < 0)
        {
            return;
        }

        int size = sym[left].Length + sym[right].Length;
        var text = s.Substring(sym[left].Start, size);
        if (_ids.TryGetValue(text, out int id))
        {
            queue.Enqueue((left, right, size), (_scores[id], left));
        }
    }
}
