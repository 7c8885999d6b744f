using CsCheck;
using CyLlm.Tokenizers.Bpe;

namespace CyLlm.Tokenizers.Tests;

/// <summary>Word splits of the byte-level pre-tokenizers (llama.cpp's regexes; token-level agreement with
/// llama.cpp itself is in <see cref="ByteLevelGoldenTests"/>).</summary>
public class PreTokenizerTests
{
    public static readonly string[] Names = ["default", "gpt-2", "gpt2", "llama-bpe", "llama3", "dbrx", "qwen2", "smollm", "starcoder", "refact", "gpt-4o", "llama4"];

    [Theory]
    [InlineData("gpt-2", "Hello world's 12345 test", new[] { "Hello", " world", "'s", " 12345", " test" })]
    [InlineData("llama-bpe", "Hello world's 12345 test", new[] { "Hello", " world", "'s", " ", "123", "45", " test" })]
    [InlineData("qwen2", "Hello world's 12345 test", new[] { "Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " test" })]
    [InlineData("smollm", "Hello world's 12345 test", new[] { "Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " test" })]
    [InlineData("default", "Hello world's 12345 test", new[] { "Hello", " world", "'", "s", " ", "123", "45", " test" })]
    [InlineData("llama-bpe", "WE'VE I'm", new[] { "WE", "'VE", " I", "'m" })]          // contractions ignore case
    [InlineData("gpt-2", "WE'VE I'm", new[] { "WE", "'", "VE", " I", "'m" })]          // GPT-2's do not
    [InlineData("llama-bpe", "a \n\n b", new[] { "a", " \n\n", " b" })]               // \s*[\r\n]+
    [InlineData("llama-bpe", "a   b", new[] { "a", "  ", " b" })]                     // \s+(?!\S)
    [InlineData("llama-bpe", "x = (y);\n", new[] { "x", " =", " (", "y", ");\n" })]  // punctuation takes trailing newlines
    [InlineData("llama-bpe", "12345678", new[] { "123", "456", "78" })]
    [InlineData("llama-bpe", "a𝐀b 𝟏𝟐𝟑𝟒", new[] { "a𝐀b", " ", "𝟏𝟐𝟑", "𝟒" })]           // astral letters and digits
    [InlineData("gpt-2", "a\tb", new[] { "a", "\t", "b" })]
    [InlineData("gpt-2", "end  ", new[] { "end", "  " })]
    [InlineData("qwen2", "日本語テキスト", new[] { "日本語テキスト" })]
    [InlineData("gpt-4o", "HELLO World's CamelCaseWord", new[] { "HELLO", " World's", " Camel", "Case", "Word" })] // upper* lower+, contraction attached
    [InlineData("gpt-4o", "XMLHttpRequest iPhone", new[] { "XMLHttp", "Request", " i", "Phone" })]
    [InlineData("gpt-4o", "DON'T we'LL it'sx", new[] { "DON'T", " we'LL", " it's", "x" })]                  // contractions in any case
    [InlineData("gpt-4o", "ÇA VA ÉCOLE Straße", new[] { "Ç", "A", " VA", " É", "COLE", " Straße" })]       // non-ASCII letters are both upper and lower
    [InlineData("gpt-4o", "e\u0301te\u0301", new[] { "e", "\u0301te", "\u0301" })]                            // a combining mark is no letter
    [InlineData("gpt-4o", "?!\n/\nx a/b", new[] { "?!\n/\n", "x", " a", "/b" })]                               // [\r\n/]* after punctuation
    [InlineData("gpt-4o", "12345 x2", new[] { "123", "45", " x", "2" })]
    [InlineData("gpt-4o", "a\u001cb", new[] { "a", "\u001cb" })]                                              // U+001C is not \s for std::regex
    [InlineData("gpt-4o", "a  \n\n b   c", new[] { "a", "  \n\n", " b", "  ", " c" })]
    [InlineData("gpt-4o", "日本語ABCdef😀abc", new[] { "日本語ABCdef", "😀abc" })]
    public void Splits_as_llama_cpp_regexes(string pre, string text, string[] expected) =>
        Assert.Equal(expected, new PreTokenizer(pre).Split(text));

    [Fact]
    public void Words_always_cover_the_text_exactly()
    {
        var atoms = Gen.OneOf<string>("a", "Z", "é", "日", "😀", "𝐀", "1", "𝟏", "½", " ", "  ", "\t", "\n", "\r", "\u00a0", "\u3000", "'", "'s", "'LL", "!", "$", "<|", "\u0301", "\uD800");
        Gen.Select(Gen.Int[0, Names.Length - 1], atoms.Array[0, 30].Select(string.Concat)).Sample((name, text) =>
        {
            var words = new PreTokenizer(Names[name]).Split(text);
            Assert.Equal(text, string.Concat(words));
            Assert.All(words, w => Assert.NotEqual("", w));
        }, iter: 3000);
    }

    [Fact]
    public void Llama3_family_ignores_merges_for_whole_word_tokens()
    {
        Assert.True(new PreTokenizer("llama-bpe").IgnoreMerges);
        Assert.False(new PreTokenizer("qwen2").IgnoreMerges);
        Assert.Equal("default", new PreTokenizer(null).Name);
    }

    [Theory]
    [InlineData("deepseek-llm")]
    [InlineData("no-such-pre")]
    public void Unsupported_pre_tokenizers_are_refused_clearly(string name)
    {
        var e = Assert.Throws<NotSupportedException>(() => new PreTokenizer(name));
        Assert.Contains(name, e.Message);
    }
}
