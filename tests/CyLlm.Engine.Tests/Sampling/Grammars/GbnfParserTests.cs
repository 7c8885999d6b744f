using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class GbnfParserTests
{
    private const string JsonGbnf = """
        # llama.cpp's json.gbnf, as shipped
        root   ::= object
        value  ::= object | array | string | number | ("true" | "false" | "null") ws

        object ::=
          "{" ws (
                    string ":" ws value
            ("," ws string ":" ws value)*
          )? "}" ws

        array  ::=
          "[" ws (
                    value
            ("," ws value)*
          )? "]" ws

        string ::=
          "\"" (
            [^"\\\x7F\x00-\x1F] |
            "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
          )* "\"" ws

        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

        # Optional space: by convention, applied in this grammar after literal chars when allowed
        ws ::= | " " | "\n" [ \t]{0,20}
        """;

    [Theory]
    [InlineData("{\"a\": 1, \"b\": [true, null, \"x\\n\"]}", true)]
    [InlineData("{\"é\": \"ünï\"}", true)]
    [InlineData("{}", true)]
    [InlineData("{\"a\" 1}", false)]
    [InlineData("[1]", false)]
    [InlineData("{\"a\": 01}", false)]
    public void Llama_cpp_json_grammar_parses_and_matches(string text, bool expected)
    {
        var g = Grammar.FromGbnf(JsonGbnf);
        Assert.Equal(expected, ByteVocab.Matches(g, text));
    }

    [Theory]
    [InlineData("root ::= \"a\"{2,3}", "aa", true)]
    [InlineData("root ::= \"a\"{2,3}", "aaaa", false)]
    [InlineData("root ::= \"a\"{2,3}", "a", false)]
    [InlineData("root ::= \"ab\"{2}", "abab", true)]
    [InlineData("root ::= \"a\"{2,} \"b\"", "aaaab", true)]
    [InlineData("root ::= \"a\"{,2} \"b\"", "aab", true)]
    [InlineData("root ::= \"a\"{,2} \"b\"", "aaab", false)]
    [InlineData("root ::= [a-c]+ \"!\"?", "abcab!", true)]
    [InlineData("root ::= [^a-c]*", "xyz", true)]
    [InlineData("root ::= [^a-c]*", "xaz", false)]
    [InlineData("root ::= [^a]", "€", true)]
    [InlineData("root ::= [α-ω]+", "λάμ", false)]
    [InlineData("root ::= [α-ω]+", "λμ", true)]
    [InlineData("root ::= .", "😀", true)]
    [InlineData("root ::= \"\\x41\\u00e9\\U0001F600\\t\"", "Aé😀\t", true)]
    [InlineData("root ::= a | b\na ::= \"x\" # comment\nb ::= (\"y\" | \"z\")*", "yzy", true)]
    [InlineData("root ::= x\n  | \"q\"\nx ::= \"p\"", "q", true)]
    [InlineData("root ::= [\\]\\-] [-a]", "]-", true)]
    public void Constructs_match_as_specified(string gbnf, string text, bool expected)
    {
        Assert.Equal(expected, ByteVocab.Matches(Grammar.FromGbnf(gbnf), text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("root ::= \"a", "unterminated string")]
    [InlineData("root ::= [a-", "unterminated character class")]
    [InlineData("root ::= foo", "'foo' is referenced but never defined")]
    [InlineData("start ::= \"a\"", "no 'root' rule")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "defined twice")]
    [InlineData("root ::= (\"a\"", "expected ')'")]
    [InlineData("root := \"a\"", "expected '::='")]
    [InlineData("root ::= \"\\q\"", "unknown escape")]
    [InlineData("root ::= \"a\"{3,1}", "max < min")]
    [InlineData("root ::= \"a\"{1,99999}", "above 10000")]
    [InlineData("root ::= root \"a\" | \"a\"", "left-recursive")]
    [InlineData("root ::= x\nx ::= y? x \"a\"\ny ::= \"b\"", "left-recursive")]
    [InlineData("root ::= [z-a]", "out of order")]
    [InlineData("root ::= \"a\" @", "unexpected character '@'")]
    public void Invalid_grammars_are_refused_with_a_message_naming_the_problem(string gbnf, string expected)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.FromGbnf(gbnf));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        // On a thread with 1 MB of stack (less than a thread-pool thread has): nesting beyond what the stack holds is
        // refused, and a guided_choice trie 1024 levels deep (1024 entries, each the previous plus one character)
        // still compiles and matches.
        GrammarException? refused = null;
        bool choiceOk = false;
        var t = new Thread(
            () =>
            {
                refused = Assert.Throws<GrammarException>(() => Grammar.FromGbnf("root ::= " + new string('(', 100_000) + "\"a\"" + new string(')', 100_000)));
                var chain = Enumerable.Range(1, 1024).Select(i => new string('a', i)).ToList();
                var g = Grammar.Choice(chain);
                choiceOk = ByteVocab.Matches(g, new string('a', 1024)) && ByteVocab.Matches(g, "a") && !ByteVocab.Matches(g, new string('a', 1025));
            },
            1 << 20);
        t.Start();
        t.Join();
        Assert.Contains("nest too deeply", refused?.Message);
        Assert.True(choiceOk);
    }

    [Fact]
    public void Error_messages_carry_line_and_column()
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.FromGbnf("root ::= a\na ::= \"x\" ]"));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("rule 'a'", e.Message);
    }

    [Fact]
    public void Repeated_source_compiles_once()
    {
        string text = "root ::= \"cache-test-" + Guid.NewGuid().ToString("N") + "\"";
        var a = Grammar.FromGbnf(text);
        var b = Grammar.FromGbnf(text);
        Assert.Same(a, b);
    }

    [Fact]
    public void Lru_cache_evicts_the_least_recently_used()
    {
        var cache = new GrammarCache(2);
        int compiled = 0;
        Grammar Make(string s) => cache.GetOrAdd(s, () =>
        {
            compiled++;
            return Grammar.FromGbnf("root ::= \"" + s + "\"");
        });
        var a = Make("a");
        Make("b");
        Assert.Same(a, Make("a"));
        Make("c"); // evicts b
        Assert.Equal(3, compiled);
        Make("b");
        Assert.Equal(4, compiled);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Grammar_errors_are_remembered_other_failures_retried()
    {
        var cache = new GrammarCache(4);
        int calls = 0;
        Grammar Bad() => cache.GetOrAdd("bad", () =>
        {
            calls++;
            return Grammar.FromGbnf("root ::= undefined-rule");
        });
        Assert.Throws<GrammarException>(Bad);
        Assert.Throws<GrammarException>(Bad);
        Assert.Equal(1, calls);
        int flaky = 0;
        Grammar Flaky() => cache.GetOrAdd("flaky", () => ++flaky == 1 ? throw new InvalidOperationException("transient") : Grammar.FromGbnf("root ::= \"y\""));
        Assert.Throws<InvalidOperationException>(Flaky);
        Assert.NotNull(Flaky());
        Assert.Equal(2, flaky);
    }

    [Fact]
    public async Task Concurrent_requests_for_one_source_compile_it_once()
    {
        var cache = new GrammarCache(8);
        int compiled = 0;
        using var gate = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            gate.Wait();
            return cache.GetOrAdd("same", () =>
            {
                Interlocked.Increment(ref compiled);
                return Grammar.FromGbnf("root ::= \"x\"");
            });
        })).ToArray();
        gate.Set();
        var grammars = await Task.WhenAll(tasks);
        Assert.Equal(1, compiled);
        Assert.All(grammars, g => Assert.Same(grammars[0], g));
    }
}
