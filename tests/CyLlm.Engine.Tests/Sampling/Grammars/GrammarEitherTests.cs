using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class GrammarEitherTests
{
    [Theory]
    [InlineData("ab", true)]
    [InlineData("abab", true)]
    [InlineData("[1,2]", true)]
    [InlineData("[]", true)]
    [InlineData("", false)]
    [InlineData("ab[1]", false)]
    [InlineData("[1,]", false)]
    [InlineData("aba", false)]
    public void Either_matches_exactly_the_union(string text, bool expected)
    {
        // Both parts have several rules, sets and helpers, so a wrong renumbering shows as a wrong answer.
        var a = Grammar.FromGbnf("root ::= pair+\npair ::= \"a\" b\nb ::= \"b\"");
        var b = Grammar.FromLark("start: \"[\" [INT (\",\" INT)*] \"]\"\nINT: /[0-9]+/");
        var either = Grammar.Either(a, b);
        Assert.Equal(expected, ByteVocab.Matches(either, text));
        Assert.Equal(ByteVocab.Matches(a, text) || ByteVocab.Matches(b, text), expected);
        Assert.Same(either, Grammar.Either(a, b));
    }
}
