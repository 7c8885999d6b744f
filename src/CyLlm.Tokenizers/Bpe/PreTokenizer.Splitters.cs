using System.Diagnostics;

namespace CyLlm.Tokenizers.Bpe;

public sealed partial class PreTokenizer
{
    private const int OutOfRange = -1;

    /// <summary>
    /// One piece being split: code points [Begin, End) of the text, and the lengths of the words found so far
    /// appended to Result. Reads past the piece give <see cref="OutOfRange"/> and flags 0, as llama.cpp's
    /// _get_cpt/_get_flags.
    /// </summary>
    private ref struct Segment
    {
        private readonly ReadOnlySpan<int> _cps;
        private readonly List<int> _result;
        private int _prevEnd;

        public Segment(ReadOnlySpan<int> cps, int begin, int end, List<int> result)
        {
            _cps = cps;
            Begin = begin;
            End = end;
            _result = result;
            _prevEnd = begin;
        }

        public int Begin { get; }

        public int End { get; }

        public readonly int Cpt(int pos) => pos >= Begin && pos < End ? _cps[pos] : OutOfRange;

        public readonly byte Flags(int pos) => pos >= Begin && pos < End ? CodepointFlags.Get(_cps[pos]) : (byte)0;

        /// <summary>Ends a word at <paramref name="end"/> (nothing if empty); returns its length.</summary>
        public int AddToken(int end)
        {
            Debug.Assert(_prevEnd <= end && end <= End, "words are added in order");
            int len = end - _prevEnd;
            if (len > 0)
            {
                _result.Add(len);
            }

            _prevEnd = end;
            return len;
        }
    }

    private static bool Has(byte flags, byte what) => (flags & what) != 0;

    private static bool IsOther(byte flags) =>
        (flags & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0 && flags != 0;

    private static int AsciiLower(int cp) => cp is >= 'A' and <= 'Z' ? cp + 32 : cp;

    /// <summary>Contractions 's 't 'm 'd 're 've 'll at <paramref name="pos"/>: length 2 or 3, or 0.</summary>
    private static int Contraction(ref Segment s, int pos, bool ignoreCase)
    {
        if (s.Cpt(pos) != '\'' || pos + 1 >= s.End)
        {
            return 0;
        }

        int next = s.Cpt(pos + 1);
        next = ignoreCase ? AsciiLower(next) : next;
        if (next is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (pos + 2 < s.End)
        {
            int next2 = s.Cpt(pos + 2);
            next2 = ignoreCase ? AsciiLower(next2) : next2;
            if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
            {
                return 3;
            }
        }

        return 0;
    }

    /// <summary>llama.cpp's unicode_regex_split_custom_gpt2.</summary>
    private static void SplitGpt2(ref Segment s)
    {
        for (int pos = s.Begin; pos < s.End;)
        {
            int cpt = s.Cpt(pos);
            byte flags = s.Flags(pos);
            int contraction = Contraction(ref s, pos, ignoreCase: false);
            if (contraction > 0)
            {
                pos += s.AddToken(pos + contraction);
                continue;
            }

            byte flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            if (Has(flags2, CodepointFlags.Letter) || Has(flags2, CodepointFlags.Number) || IsOther(flags2))
            {
                // <space>?\p{L}+ | <space>?\p{N}+ | <space>?[^\s\p{L}\p{N}]+ : a run of one class.
                byte cls = (byte)(flags2 & (CodepointFlags.Letter | CodepointFlags.Number));
                pos += cpt == ' ' ? 1 : 0;
                while (cls != 0 ? Has(flags2, cls) : IsOther(flags2))
                {
                    flags2 = s.Flags(++pos);
                }

                s.AddToken(pos);
                continue;
            }

            pos = Whitespace(ref s, pos, newlines: false);
        }
    }

    /// <summary>llama.cpp's unicode_regex_split_custom_llama3 (maxDigits 3) and _qwen2 (maxDigits 1).</summary>
    private static void SplitLlama3(ref Segment s, int maxDigits)
    {
        for (int pos = s.Begin; pos < s.End;)
        {
            int cpt = s.Cpt(pos);
            byte flags = s.Flags(pos);
            int contraction = Contraction(ref s, pos, ignoreCase: true);
            if (contraction > 0)
            {
                pos += s.AddToken(pos + contraction);
                continue;
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cpt == '\r' || cpt == '\n' || Has(flags, CodepointFlags.Number))
                && (Has(flags, CodepointFlags.Letter) || Has(s.Flags(pos + 1), CodepointFlags.Letter)))
            {
                pos++;
                while (Has(s.Flags(pos), CodepointFlags.Letter))
                {
                    pos++;
                }

                s.AddToken(pos);
                continue;
            }

            // \p{N}{1,3} (Llama 3) or \p{N} (Qwen2)
            if (Has(flags, CodepointFlags.Number))
            {
                int ini = pos;
                while (Has(s.Flags(pos), CodepointFlags.Number))
                {
                    if (++pos - ini >= maxDigits)
                    {
                        s.AddToken(pos);
                        ini = pos;
                    }
                }

                s.AddToken(pos);
                continue;
            }

            // <space>?[^\s\p{L}\p{N}]+[\r\n]*  (llama.cpp tests the class of the first character after the
            // optional space, and that the current one is inside the piece)
            byte flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            if ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0 && flags != 0)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (IsOther(flags2))
                {
                    flags2 = s.Flags(++pos);
                }

                int cpt2 = s.Cpt(pos);
                while (cpt2 == '\r' || cpt2 == '\n')
                {
                    cpt2 = s.Cpt(++pos);
                }

                s.AddToken(pos);
                continue;
            }

            pos = Whitespace(ref s, pos, newlines: true);
        }
    }

    /// <summary>
    /// The whitespace alternatives at <paramref name="pos"/>: (with <paramref name="newlines"/>) <c>\s*[\r\n]+</c>,
    /// then <c>\s+(?!\S)</c>, then <c>\s+</c>; a character that matches nothing becomes a word of its own.
    /// Returns the new position.
    /// </summary>
    private static int Whitespace(ref Segment s, int pos, bool newlines)
    {
        int count = 0;
        int lastNewlineEnd = 0;
        while (Has(s.Flags(pos + count), CodepointFlags.Whitespace))
        {
            int c = s.Cpt(pos + count);
            if (c == '\r' || c == '\n')
            {
                lastNewlineEnd = pos + count + 1;
            }

            count++;
        }

        if (newlines && lastNewlineEnd > 0)
        {
            s.AddToken(lastNewlineEnd);
            return lastNewlineEnd;
        }

        if (count > 1 && s.Cpt(pos + count) != OutOfRange)
        {
            // \s+(?!\S): all but the last whitespace, which goes with the word that follows.
            pos += count - 1;
            s.AddToken(pos);
            return pos;
        }

        if (count > 0)
        {
            pos += count;
            s.AddToken(pos);
            return pos;
        }

        s.AddToken(++pos);
        return pos;
    }

    /// <summary>The passes llama.cpp runs through std::regex: matches become words, and so does the text between them.</summary>
    private static void SplitSimple(ref Segment s, PreTokenizerStage stage)
    {
        for (int pos = s.Begin; pos < s.End;)
        {
            int len = stage switch
            {
                PreTokenizerStage.SingleDigits => Has(s.Flags(pos), CodepointFlags.Number) ? 1 : 0,
                PreTokenizerStage.DigitRuns => RunLength(ref s, pos, static (cp, f) => Has(f, CodepointFlags.Number)),
                PreTokenizerStage.PunctuationRuns => RunLength(ref s, pos, static (cp, f) => Has(f, CodepointFlags.Punctuation) || cp is '$' or '+' or '<' or '=' or '>' or '^' or '~' or '|'),
                PreTokenizerStage.AsciiDigitTriples => IsAsciiDigit(s.Cpt(pos)) && IsAsciiDigit(s.Cpt(pos + 1)) && IsAsciiDigit(s.Cpt(pos + 2)) ? 3 : 0,
                _ => throw new UnreachableException(),
            };
            if (len == 0)
            {
                pos++;
                continue;
            }

            s.AddToken(pos); // the text before the match
            pos += len;
            s.AddToken(pos);
        }
    }

    private static bool IsAsciiDigit(int cp) => cp is >= '0' and <= '9';

    private static int RunLength(ref Segment s, int pos, Func<int, byte, bool> member)
    {
        int end = pos;
        while (end < s.End && member(s.Cpt(end), s.Flags(end)))
        {
            end++;
        }

        return end - pos;
    }
}
