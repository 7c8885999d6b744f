using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class LarkGrammarTests
{
    private const string Calculator = """
        // vLLM's documentation example, shape-wise: a start rule, terminals, imports, ignore
        ?start: expr
        ?expr: term (("+" | "-") term)*
        ?term: factor (("*" | "/") factor)*
        ?factor: NUMBER
               | "-" factor
               | "(" expr ")"   -> group
        %import common.NUMBER
        %import common.WS_INLINE
        %ignore WS_INLINE
        """;

    [Theory]
    [InlineData("1+2", true)]
    [InlineData(" 1 + 2 * ( 3.5 - -4 ) ", true)]
    [InlineData("1e5*2", true)]
    [InlineData("1 +", false)]
    [InlineData("1\n+2", false)]
    [InlineData("(1", false)]
    [InlineData("1 2", false)]
    public void Calculator_grammar_accepts_exactly_its_expressions(string text, bool expected)
    {
        Assert.Equal(expected, ByteVocab.Matches(Grammar.FromLark(Calculator), text));
    }

    [Theory]
    [InlineData("start: \"ab\"i", "aB", true)]
    [InlineData("start: \"ab\"i", "AB", true)]
    [InlineData("start: \"ab\"i", "ac", false)]
    [InlineData("start: \"a\"..\"c\"+", "abca", true)]
    [InlineData("start: \"a\"..\"c\"+", "abd", false)]
    [InlineData("start: /[0-9]{2}-x/", "12-x", true)]
    [InlineData("start: /[0-9]{2}-x/", "1-x", false)]
    [InlineData("start: /a.b/", "a\nb", false)]
    [InlineData("start: /a.b/s", "a\nb", true)]
    [InlineData("start: /a\\/b/", "a/b", true)]
    [InlineData("start: \"x\" [\"y\"] \"z\"", "xz", true)]
    [InlineData("start: \"x\" [\"y\"] \"z\"", "xyz", true)]
    [InlineData("start: \"a\"~3", "aaa", true)]
    [InlineData("start: \"a\"~3", "aa", false)]
    [InlineData("start: \"a\" ~ 2..3", "aaa", true)]
    [InlineData("start: \"a\" ~ 2..3", "aaaa", false)]
    [InlineData("start: (\"a\" | \"b\")* \"c\"?", "abba", true)]
    [InlineData("start: \"\\x41\\u00e9\\n\\\"\"", "Aé\n\"", true)]
    [InlineData("start: \"\\d\"", "\\d", true)]
    [InlineData("start: A B\nA.2: \"a\"\nB: A \"b\"", "aab", true)]
    [InlineData("start: a\na: \"x\"\n  | \"y\"  // more\n\n  | \"z\"", "z", true)]
    [InlineData("!start: _inner\n_inner.1: \"q\"", "q", true)]
    [InlineData("start: ESCAPED_STRING\n%import common.ESCAPED_STRING", "\"a\\\"b\"", true)]
    [InlineData("start: ESCAPED_STRING\n%import common.ESCAPED_STRING", "\"a\"b\"", false)]
    [InlineData("start: ESCAPED_STRING\n%import common.ESCAPED_STRING", "\"a\nb\"", false)]
    [InlineData("start: C_COMMENT\n%import common.C_COMMENT", "/* a * b **/", true)]
    [InlineData("start: C_COMMENT\n%import common.C_COMMENT", "/* a */ b */", false)]
    [InlineData("start: X (\",\" X)*\n%import common (SIGNED_NUMBER, CNAME)\nX: SIGNED_NUMBER | CNAME", "-1.5e3,_a1,7", true)]
    [InlineData("start: N\n%import common.SIGNED_INT -> N", "+42", true)]
    [InlineData("start: N\n%import common.SIGNED_INT -> N", "4.2", false)]
    public void Constructs_match_as_specified(string lark, string text, bool expected)
    {
        Assert.Equal(expected, ByteVocab.Matches(Grammar.FromLark(lark), text));
    }

    [Theory]
    [InlineData("start: WORD (\",\" WORD)*\n%import common.WORD\n%ignore \" \"", " ab ,  cd ", true)]
    [InlineData("start: WORD (\",\" WORD)*\n%import common.WORD\n%ignore \" \"", "a b", false)]
    [InlineData("start: WORD (\",\" WORD)*\n%import common.WORD\n%ignore \" \"", "ab\t,cd", false)]
    [InlineData("start: pair+\npair: \"k\" \"=\" V\nV: \"v\" \"w\"\n%ignore /[ \\t]+/\n%ignore \"#\"", "k = vw # k=vw", true)]
    [InlineData("start: pair+\npair: \"k\" \"=\" V\nV: \"v\" \"w\"\n%ignore /[ \\t]+/\n%ignore \"#\"", "k = v w", false)]
    public void Ignore_allows_the_ignored_text_between_tokens_never_inside_a_terminal(string lark, string text, bool expected)
    {
        Assert.Equal(expected, ByteVocab.Matches(Grammar.FromLark(lark), text));
    }

    [Fact]
    public void Long_runs_of_ignored_whitespace_stay_within_the_matcher_bounds()
    {
        var g = Grammar.FromLark("start: \"a\" \"b\"\n%import common.WS\n%ignore WS");
        string spaces = new(' ', 300);
        Assert.True(ByteVocab.Matches(g, spaces + "a" + spaces + "\n\tb" + spaces));
    }

    [Fact]
    public void Lark_and_equivalent_gbnf_agree_on_every_string()
    {
        var lark = Grammar.FromLark("""
            start: item ("," item)*
            item: NAME "=" VALUE | "[" [item] "]"
            NAME: "a".."c"+
            VALUE: /-?[0-9]+/ | "true"i
            """);
        var gbnf = Grammar.FromGbnf("""
            root ::= item ("," item)*
            item ::= name "=" value | "[" item? "]"
            name ::= [a-c]+
            value ::= "-"? [0-9]+ | [tT] [rR] [uU] [eE]
            """);
        string[] samples =
        [
            "a=1", "abc=-20", "a=TrUe", "[]", "[[b=2]]", "a=1,[c=true]", "a=", "d=1", "a=1,", "[a=1", "a=tru",
            "a=--1", "", "[[]],[]", "A=1", "a=1 ", "ab=01,c=TRUE,[]",
        ];
        foreach (string s in samples)
        {
            Assert.True(ByteVocab.Matches(gbnf, s) == ByteVocab.Matches(lark, s), s);
        }

        // Both directions on every string of length ≤ 3 over a small alphabet.
        string alphabet = "a1=,[]-";
        var all = new List<string> { "" };
        for (int len = 1; len <= 3; len++)
        {
            var next = new List<string>();
            foreach (string p in all.Where(x => x.Length == len - 1))
            {
                foreach (char c in alphabet)
                {
                    next.Add(p + c);
                }
            }

            all.AddRange(next);
        }

        int accepted = 0;
        foreach (string s in all)
        {
            bool expected = ByteVocab.Matches(gbnf, s);
            Assert.True(expected == ByteVocab.Matches(lark, s), s);
            accepted += expected ? 1 : 0;
        }

        Assert.True(accepted > 0);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("start: \"abc", "line 1, column 8: unterminated string literal")]
    [InlineData("start: /ab", "unterminated regexp")]
    [InlineData("start: a", "line 1, column 8: 'a' is used but never defined")]
    [InlineData("start: NUMBER", "add %import common.NUMBER")]
    [InlineData("begin: \"a\"", "no 'start' rule")]
    [InlineData("start: \"a\"\nstart: \"b\"", "line 2, column 1: 'start' is defined twice")]
    [InlineData("start: (\"a\"", "expected ')'")]
    [InlineData("start: \"a\" @", "unexpected character '@'")]
    [InlineData("start \"a\"", "expected ':' after 'start'")]
    [InlineData("start: x\n%declare X", "line 2, column 1: %declare is not supported")]
    [InlineData("start: x\n%override x: \"b\"", "%override is not supported")]
    [InlineData("start: x{\"a\"}", "templates")]
    [InlineData("_sep{x}: x\nstart: \"a\"", "templates")]
    [InlineData("start: /a(?=b)/", "lookaround assertions are not supported")]
    [InlineData("start: /ab/i", "flag 'i' is not supported")]
    [InlineData("start: /^ab/", "anchors")]
    [InlineData("start: A\nA: b\nb: \"x\"", "a terminal cannot use rule 'b'")]
    [InlineData("start: X\n%import common.NOPE -> X", "no terminal 'NOPE'")]
    [InlineData("start: X\n%import python.X", "only lark's common module")]
    [InlineData("start: \"a\"~3..1", "max < min")]
    [InlineData("start: \"b\"..\"a\"", "out of order")]
    [InlineData("start: \"ab\"..\"c\"", "one character")]
    [InlineData("start: fooBar", "mixes cases")]
    [InlineData("start: start \"a\" | \"a\"", "left-recursive")]
    [InlineData("start: \"a\"\n%ignore /\\s*/", "%ignore: an ignored terminal matches the empty string")]
    [InlineData("start: x*\nx: \"a\"?", "repeats an element that can match the empty string")]
    public void Invalid_grammars_are_refused_with_a_message_naming_the_problem(string lark, string expected)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.FromLark(lark));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_a_stack_overflow()
    {
        var groups = Assert.Throws<GrammarException>(() => Grammar.FromLark("start: " + new string('(', 100_000) + "\"a\"" + new string(')', 100_000)));
        Assert.Contains("nest deeper than", groups.Message);
        var regex = Assert.Throws<GrammarException>(() => Grammar.FromLark("start: /" + new string('(', 100_000) + "a" + new string(')', 100_000) + "/"));
        Assert.Contains("nest deeper than", regex.Message);

        // A hundred levels is still fine.
        Assert.True(ByteVocab.Matches(Grammar.FromLark("start: " + new string('[', 100) + "\"a\"" + new string(']', 100)), ""));
    }
}
