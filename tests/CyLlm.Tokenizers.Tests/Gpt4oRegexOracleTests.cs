using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using CyLlm.Tokenizers.Bpe;

namespace CyLlm.Tokenizers.Tests;

/// <summary>
/// The hand-written gpt-4o splitter against an independent model of what llama.cpp does with that expression:
/// it has no custom code for it, so unicode_regex_split "collapses" the text (ASCII stays, every other code
/// point becomes one byte for its class: 0x0B for whitespace, 0xD2 for a letter, 0xD1 for a number, others
/// 0xD0 and up), rewrites <c>\p{L}</c> as <c>\xD2A-Za-z</c> and <c>\p{N}</c> as <c>\xD10-9</c>, and runs
/// std::regex (ECMAScript, leftmost-first backtracking, as .NET's engine) over it. The golden test checks
/// tokens against llama.cpp itself; this one checks many more random texts, word by word.
/// </summary>
public class Gpt4oRegexOracleTests
{
    /// <summary>LLAMA_VOCAB_PRE_TYPE_GPT4O's expression, as in llama-vocab.cpp.</summary>
    private const string LlamaCppExpression = @"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly Regex Collapsed = new(
        LlamaCppExpression.Replace(@"\p{N}{1,3}", "[\u00D10-9]{1,3}", StringComparison.Ordinal)
            .Replace(@"\p{L}", "\u00D2A-Za-z", StringComparison.Ordinal)
            .Replace(@"\p{N}", "\u00D10-9", StringComparison.Ordinal),
        RegexOptions.CultureInvariant);

    private static List<string> OracleSplit(string text)
    {
        var cps = new List<int>();
        var starts = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            starts.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cps.Add(char.ConvertToUtf32(text[i], text[++i]));
            }
            else
            {
                cps.Add(char.IsSurrogate(text[i]) ? 0xFFFD : text[i]);
            }
        }

        starts.Add(text.Length);
        var collapsed = new StringBuilder(cps.Count);
        foreach (int cp in cps)
        {
            collapsed.Append(cp < 128 ? (char)cp : Collapse(cp));
        }

        var words = new List<string>();
        int prev = 0;
        foreach (Match m in Collapsed.Matches(collapsed.ToString()))
        {
            if (m.Index > prev)
            {
                words.Add(text[starts[prev]..starts[m.Index]]); // text between matches is a word too
            }

            words.Add(text[starts[m.Index]..starts[m.Index + m.Length]]);
            prev = m.Index + m.Length;
        }

        if (prev < cps.Count)
        {
            words.Add(text[starts[prev]..]);
        }

        return words;
    }

    private static char Collapse(int cp)
    {
        // llama.cpp's unicode_set_whitespace comes before the category.
        if (cp is 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000)
        {
            return '\v';
        }

        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => '\u00D2',
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => '\u00D1',
            _ => '\u00D0',
        };
    }

    [Theory]
    [InlineData("HELLO World's CamelCaseWord XMLHttpRequest iPhone")]
    [InlineData("ÇA VA ÉCOLE ǅemal ÆsIR ßS e\u0301te\u0301")]
    [InlineData("?!\n/\nx ://\n\r/\n a\u001cb \u00a0 \u3000x")]
    public void The_oracle_agrees_on_the_hand_picked_texts(string text) =>
        Assert.Equal(OracleSplit(text), new PreTokenizer("gpt-4o").Split(text));

    [Fact]
    public void Random_texts_split_as_llama_cpp_runs_the_expression()
    {
        var atoms = Gen.OneOf<string>(
            "a", "z", "A", "Z", "hello", "HELLO", "World", "wORLD", "iPhone", "é", "É", "Ç", "ß", "ǅ", "ʰ", "日", "本", "😀", "👍🏽", "\u200d", "𝐀", "𝑎",
            "0", "7", "123", "½", "٣", "𝟏", "Ⅻ", "'", "'s", "'S", "'t", "'re", "'VE", "'Ll", "'d", "'M", "'x",
            " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u0085", "\u00a0", "\u2003", "\u3000", "\u001c", "\u001f",
            "/", "//", "!", "?", ".", "-", "$", "<|", "|>", "\u0301", "\u0308", "\uD800", "\uDC00");
        var pre = new PreTokenizer("gpt-4o");
        atoms.Array[0, 24].Select(string.Concat).Sample(text => Assert.Equal(OracleSplit(text), pre.Split(text)), iter: 20000);
    }
}
