using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class RegexGrammarTests
{
    [Theory]
    [InlineData(@"\d{3}-\d{4}", "555-1234", true)]
    [InlineData(@"\d{3}-\d{4}", "555-123", false)]
    [InlineData(@"^(yes|no)$", "yes", true)]
    [InlineData(@"^(yes|no)$", "yesno", false)]
    [InlineData(@"[A-Z][a-z]+( [A-Z][a-z]+)*", "Ada Lovelace", true)]
    [InlineData(@"[A-Z][a-z]+( [A-Z][a-z]+)*", "ada", false)]
    [InlineData(@"(?:ab)+c?", "ababc", true)]
    [InlineData(@"(?<year>\d{4})-\d\d", "2024-05", true)]
    [InlineData(@"a.c", "a€c", true)]
    [InlineData(@"a.c", "a\nc", false)]
    [InlineData(@"\w+@\w+\.com", "me@host.com", true)]
    [InlineData(@"[^\s]+", "no-space", true)]
    [InlineData(@"[^\s]+", "a b", false)]
    [InlineData(@"\S\s\S", "a\tb", true)]
    [InlineData(@"a{2,}?b", "aaab", true)]
    [InlineData(@"x{,3}", "x{,3}", true)]
    [InlineData(@"\$\.\*\(", "$.*(", true)]
    [InlineData(@"[\d.]+", "3.14", true)]
    [InlineData(@"colou?r", "color", true)]
    public void Subset_matches_like_a_full_match(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, ByteVocab.Matches(Grammar.FromRegex(pattern), text));
    }

    [Theory]
    [InlineData(@"a(?=b)", "lookaround")]
    [InlineData(@"a(?!b)", "lookaround")]
    [InlineData(@"(?<=a)b", "lookaround")]
    [InlineData(@"(a)\1", "backreferences")]
    [InlineData(@"\bword\b", "word boundaries")]
    [InlineData(@"\p{L}", "Unicode property")]
    [InlineData(@"a^b", "'^'")]
    [InlineData(@"(a", "missing ')'")]
    [InlineData(@"a)", "unbalanced")]
    [InlineData(@"*a", "nothing to repeat")]
    [InlineData(@"a++", "possessive")]
    [InlineData(@"[[:alpha:]]", "POSIX")]
    public void Unsupported_constructs_are_refused(string pattern, string expected)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.FromRegex(pattern));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Choice_accepts_exactly_the_choices()
    {
        var g = Grammar.Choice(["positive", "negative", "neutral \"q\""]);
        Assert.True(ByteVocab.Matches(g, "negative"));
        Assert.True(ByteVocab.Matches(g, "neutral \"q\""));
        Assert.False(ByteVocab.Matches(g, "neg"));
        Assert.False(ByteVocab.Matches(g, "positives"));
        Assert.Throws<GrammarException>(() => Grammar.Choice([]));
    }

    [Fact]
    public void Long_choice_lists_are_prefix_factored_and_stay_within_the_stack_bound()
    {
        var choices = Enumerable.Range(0, 3000).Select(i => "item-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("item").Append("other").ToList();
        var g = Grammar.Choice(choices);
        Assert.True(ByteVocab.Matches(g, "item-2999"));
        Assert.True(ByteVocab.Matches(g, "item-7"));
        Assert.True(ByteVocab.Matches(g, "item"));
        Assert.True(ByteVocab.Matches(g, "other"));
        Assert.False(ByteVocab.Matches(g, "item-3000"));
        Assert.False(ByteVocab.Matches(g, "item-"));
        var m = new GrammarMatcher(g, ByteVocab.Shared);
        Assert.True(m.StackCount <= 2);
    }

    [Fact]
    public void Start_state_beyond_the_stack_bound_is_refused_at_compile_time()
    {
        // Written as plain alternatives (no factoring): every one is a stack at the start.
        string gbnf = "root ::= " + string.Join(" | ", Enumerable.Range(0, GrammarMatcher.MaxStacks + 1).Select(i => "\"" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\" x"))
            + "\nx ::= [0-9]*";
        var e = Assert.Throws<GrammarException>(() => Grammar.FromGbnf(gbnf));
        Assert.Contains("ambiguous", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        GrammarException? refused = null;
        bool ok = false;
        var t = new Thread(
            () =>
            {
                refused = Assert.Throws<GrammarException>(() => Grammar.FromRegex(new string('(', 100_000) + "a" + new string(')', 100_000)));
                ok = ByteVocab.Matches(Grammar.FromRegex(new string('(', 100) + "a" + new string(')', 100) + "+"), "aa");
            },
            1 << 20);
        t.Start();
        t.Join();
        Assert.Contains("nest too deeply", refused?.Message);
        Assert.True(ok);
    }
}
