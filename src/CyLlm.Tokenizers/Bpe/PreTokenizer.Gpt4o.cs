namespace CyLlm.Tokenizers.Bpe;

public sealed partial class PreTokenizer
{
    /// <summary>
    /// llama.cpp's LLAMA_VOCAB_PRE_TYPE_GPT4O expression (o200k), which llama.cpp has no custom splitter for and
    /// runs through std::regex over its "collapsed" text:
    /// <c>[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?</c>
    /// <c>|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|...|'[dD])?</c>
    /// <c>|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
    /// Written out by hand with the outcome of ECMAScript's leftmost-first backtracking, because the collapsing
    /// changes the classes: every non-ASCII letter becomes one byte, so it counts as both "upper" (a letter
    /// that is not a-z) and "lower" (a letter that is not A-Z), whatever its real case; combining marks are
    /// not letters (unlike the Hugging Face expression, whose classes include \p{M}); and \s is ASCII
    /// whitespace plus llama.cpp's non-ASCII whitespace set.
    /// </summary>
    private static void SplitGpt4o(ref Segment s)
    {
        for (int pos = s.Begin; pos < s.End;)
        {
            int cpt = s.Cpt(pos);
            byte flags = s.Flags(pos);

            // The two letter alternatives share the optional prefix [^\r\n\p{L}\p{N}]. Backtracking to "no
            // prefix" never helps: the prefix is taken only when this code point is not a letter, and both
            // alternatives then need a letter right here.
            int start = pos;
            if (cpt != '\r' && cpt != '\n' && (flags & (CodepointFlags.Letter | CodepointFlags.Number)) == 0)
            {
                start++;
            }

            int upperEnd = start; // the greedy run of "upper" letters
            while (IsGpt4oUpper(ref s, upperEnd))
            {
                upperEnd++;
            }

            // Alternative 1, upper* lower+ contraction?: upper* gives back letters until a "lower" one follows.
            // The first one tried is the code point after the run (a-z, since anything else that is "lower" is
            // also "upper"), then the run's own non-ASCII letters from the right.
            int lower = -1;
            for (int k = upperEnd; k >= start; k--)
            {
                if (IsGpt4oLower(ref s, k))
                {
                    lower = k;
                    break;
                }
            }

            if (lower >= 0)
            {
                int end = lower;
                while (IsGpt4oLower(ref s, end))
                {
                    end++;
                }

                end += Contraction(ref s, end, ignoreCase: true);
                pos += s.AddToken(end);
                continue;
            }

            // Alternative 2, upper+ lower* contraction?: lower* is empty here, or alternative 1 had matched.
            if (upperEnd > start)
            {
                pos += s.AddToken(upperEnd + Contraction(ref s, upperEnd, ignoreCase: true));
                continue;
            }

            // \p{N}{1,3}
            if (Has(flags, CodepointFlags.Number))
            {
                int end = pos + 1;
                while (end - pos < 3 && Has(s.Flags(end), CodepointFlags.Number))
                {
                    end++;
                }

                pos += s.AddToken(end);
                continue;
            }

            // <space>?[^\s\p{L}\p{N}]+[\r\n/]*  (the space only if such a character follows it)
            int other = cpt == ' ' && IsOther(s.Flags(pos + 1)) ? pos + 1 : pos;
            if (IsOther(s.Flags(other)))
            {
                int end = other;
                while (IsOther(s.Flags(end)))
                {
                    end++;
                }

                while (s.Cpt(end) is '\r' or '\n' or '/')
                {
                    end++;
                }

                pos += s.AddToken(end);
                continue;
            }

            // \s*[\r\n]+ | \s+(?!\S) | \s+ : all that is left is whitespace.
            pos = Whitespace(ref s, pos, newlines: true);
        }
    }

    /// <summary><c>(?=[\p{L}])([^a-z])</c>: a letter other than a-z.</summary>
    private static bool IsGpt4oUpper(ref Segment s, int pos) =>
        Has(s.Flags(pos), CodepointFlags.Letter) && s.Cpt(pos) is not (>= 'a' and <= 'z');

    /// <summary><c>(?=[\p{L}])([^A-Z])</c>: a letter other than A-Z.</summary>
    private static bool IsGpt4oLower(ref Segment s, int pos) =>
        Has(s.Flags(pos), CodepointFlags.Letter) && s.Cpt(pos) is not (>= 'A' and <= 'Z');
}
