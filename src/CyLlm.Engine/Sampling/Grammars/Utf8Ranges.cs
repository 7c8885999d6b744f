namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// Splits a range of Unicode scalar values into sequences of byte ranges whose concatenations are exactly the
/// UTF-8 encodings of the range, so a code-point class becomes a byte-level grammar (tokens may then end in the
/// middle of a character without any special handling in the matcher).
/// </summary>
internal static class Utf8Ranges
{
    /// <summary>Appends the byte-range sequences of [lo, hi] (surrogates are skipped) to <paramref name="output"/>;
    /// each sequence is a list of (low byte, high byte) pairs.</summary>
    public static void Split(int lo, int hi, List<(byte Lo, byte Hi)[]> output)
    {
        if (lo > hi)
        {
            return;
        }

        // Surrogates have no UTF-8 encoding.
        if (lo <= 0xDFFF && hi >= 0xD800)
        {
            Split(lo, 0xD7FF, output);
            Split(0xE000, hi, output);
            return;
        }

        // Ranges crossing an encoded-length boundary are split at it.
        foreach (int max in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
        {
            if (lo <= max && hi > max)
            {
                Split(lo, max, output);
                Split(max + 1, hi, output);
                return;
            }
        }

        if (hi <= 0x7F)
        {
            output.Add([((byte)lo, (byte)hi)]);
            return;
        }

        int n = Length(lo);
        // Each continuation byte must span its full 0x80..0xBF unless it is the last varying position: split so
        // that, below the first differing byte, lo has all-minimum and hi all-maximum continuation bytes.
        for (int i = 1; i < n; i++)
        {
            int m = (1 << (6 * i)) - 1;
            if ((lo & ~m) != (hi & ~m))
            {
                if ((lo & m) != 0)
                {
                    Split(lo, lo | m, output);
                    Split((lo | m) + 1, hi, output);
                    return;
                }

                if ((hi & m) != m)
                {
                    Split(lo, (hi & ~m) - 1, output);
                    Split(hi & ~m, hi, output);
                    return;
                }
            }
        }

        Span<byte> a = stackalloc byte[4];
        Span<byte> b = stackalloc byte[4];
        Encode(lo, a);
        Encode(hi, b);
        var seq = new (byte, byte)[n];
        for (int i = 0; i < n; i++)
        {
            seq[i] = (a[i], b[i]);
        }

        output.Add(seq);
    }

    private static int Length(int cp) => cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4;

    private static void Encode(int cp, Span<byte> dst)
    {
        var rune = new System.Text.Rune(cp);
        rune.EncodeToUtf8(dst);
    }
}
