using System.Globalization;

namespace CyLlm.Tokenizers.Bpe;

/// <summary>
/// Character classes the pre-tokenizers test, as llama.cpp's unicode_cpt_flags: \p{L}, \p{N}, \p{P}, and
/// llama.cpp's own whitespace set (which, unlike .NET's, leaves out U+001C..U+001F). Every real code point
/// also carries <see cref="InRange"/>, so that 0 means "past the end of the segment".
/// </summary>
internal static class CodepointFlags
{
    public const byte Letter = 1;
    public const byte Number = 2;
    public const byte Whitespace = 4;
    public const byte Punctuation = 8;
    public const byte InRange = 16;

    private static readonly byte[] s_bmp = BuildBmp(); // [0x10000] flags of every BMP code point

    public static byte Get(int cp) => (uint)cp < 0x10000u ? s_bmp[cp] : Compute(cp);

    private static byte[] BuildBmp()
    {
        var table = new byte[0x10000];
        for (int cp = 0; cp < table.Length; cp++)
        {
            table[cp] = Compute(cp);
        }

        return table;
    }

    private static byte Compute(int cp)
    {
        if ((uint)cp > 0x10FFFF)
        {
            return InRange;
        }

        byte flags = InRange;
        switch (CharUnicodeInfo.GetUnicodeCategory(cp))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                flags |= Letter;
                break;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                flags |= Number;
                break;
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
                flags |= Punctuation;
                break;
        }

        if (IsWhitespace(cp))
        {
            flags |= Whitespace;
        }

        return flags;
    }

    /// <summary>llama.cpp's unicode_set_whitespace.</summary>
    private static bool IsWhitespace(int cp) => cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680
        or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
