using System.Text;
using System.Text.Json;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

public sealed class GrammarMatcherTests
{
    private static bool Allowed(ulong[] mask, int id) => (mask[id >> 6] & (1UL << (id & 63))) != 0;

    [Fact]
    public void Mask_allows_exactly_the_tokens_that_keep_a_prefix_of_the_grammar()
    {
        var v = ByteVocab.Create("ab", "abc", "abd", "b", "ca");
        int ab = 256, abc = 257, abd = 258, bTok = 259, ca = 260;
        var g = Grammar.FromGbnf("root ::= \"ab\" [cd]? \"a\"");
        var m = new GrammarMatcher(g, v);
        var mask = new ulong[(v.Count + 63) / 64];
        Assert.True(m.FillMask(mask));
        Assert.True(Allowed(mask, 'a'));
        Assert.True(Allowed(mask, ab));
        Assert.True(Allowed(mask, abc));
        Assert.True(Allowed(mask, abd));
        Assert.False(Allowed(mask, 'b'));
        Assert.False(Allowed(mask, bTok));
        Assert.False(Allowed(mask, ca));
        Assert.False(Allowed(mask, ByteVocab.Eog(v)));

        Assert.True(m.Accept(abc));
        m.FillMask(mask);
        Assert.True(Allowed(mask, 'a'));
        Assert.False(Allowed(mask, 'c'));
        Assert.False(m.CanTerminate);
        Assert.True(m.Accept('a'));
        Assert.True(m.IsComplete);
        m.FillMask(mask);
        for (int id = 0; id < v.Count; id++)
        {
            Assert.Equal(id == ByteVocab.Eog(v), Allowed(mask, id));
        }

        Assert.False(m.Accept('a'));
        Assert.True(m.Accept(ByteVocab.Eog(v)));
        _ = ca;
    }

    [Fact]
    public void Duplicate_and_prefix_pieces_are_all_masked_correctly()
    {
        byte[] A(string t) => Encoding.UTF8.GetBytes(t);
        var v = new TokenVocabulary([A("a"), A("ab"), A("a"), [], A("abc"), A("b"), A("ab")], [3]);
        var m = new GrammarMatcher(Grammar.FromGbnf("root ::= \"ab\" \"c\"?"), v);
        var mask = new ulong[1];
        m.FillMask(mask);
        Assert.Equal(new[] { 0, 1, 2, 4, 6 }, Enumerable.Range(0, v.Count).Where(id => Allowed(mask, id)));
        Assert.True(m.Accept(6));
        m.FillMask(mask);
        // "ab" may end here (EOG) and no token spells a lone "c": only EOG.
        Assert.Equal(new[] { 3 }, Enumerable.Range(0, v.Count).Where(id => Allowed(mask, id)));
    }

    [Fact]
    public void Eog_is_allowed_only_where_the_grammar_can_end()
    {
        var v = ByteVocab.Create();
        var m = new GrammarMatcher(Grammar.FromGbnf("root ::= [0-9]+"), v);
        Assert.False(m.IsAllowed(ByteVocab.Eog(v)));
        Assert.False(m.Accept(ByteVocab.Eog(v)));
        Assert.True(m.Accept('4'));
        Assert.True(m.CanTerminate);
        Assert.False(m.IsComplete);
        Assert.True(m.IsAllowed(ByteVocab.Eog(v)));
        Assert.True(m.IsAllowed('5'));
        Assert.False(m.IsAllowed('x'));
    }

    [Fact]
    public void Rejected_token_leaves_the_state_unchanged_and_reset_restarts()
    {
        var v = ByteVocab.Create("xy");
        var m = new GrammarMatcher(Grammar.FromGbnf("root ::= \"x\" \"z\""), v);
        Assert.False(m.Accept(256));
        Assert.True(m.Accept('x'));
        Assert.False(m.Accept('x'));
        Assert.True(m.Accept('z'));
        Assert.True(m.IsComplete);
        m.Reset();
        Assert.False(m.CanTerminate);
        Assert.True(m.Accept('x'));
    }

    [Fact]
    public void Tokens_may_split_utf8_characters()
    {
        // "é" is C3 A9: the vocabulary's single bytes can spell it one byte at a time.
        var v = ByteVocab.Create();
        var m = new GrammarMatcher(Grammar.FromGbnf("root ::= [à-ÿ]"), v);
        Assert.True(m.IsAllowed(0xC3));
        Assert.False(m.IsAllowed(0xC4));
        Assert.True(m.Accept(0xC3));
        Assert.True(m.IsAllowed(0xA9));
        Assert.False(m.IsAllowed('a'));
        Assert.True(m.Accept(0xA9));
        Assert.True(m.IsComplete);
    }

    [Fact]
    public void Ambiguous_grammar_hits_the_stack_bound_with_a_grammar_exception()
    {
        // After k a's, every nesting depth 0..k is a live parse: the stacks grow until the bound.
        var g = Grammar.FromGbnf("root ::= e*\ne ::= \"a\" | \"a\" e \"b\"");
        var m = new GrammarMatcher(g, ByteVocab.Shared);
        var e = Assert.Throws<GrammarException>(() =>
        {
            for (int i = 0; i <= GrammarMatcher.MaxStacks + 10; i++)
            {
                m.Accept('a');
            }
        });
        Assert.Contains("ambiguous", e.Message);
    }

    [Fact]
    public void Deep_recursion_keeps_working_and_stacks_stay_flat_in_loops()
    {
        var g = Grammar.FromGbnf("root ::= v\nv ::= \"[\" v? \"]\" | \"x\"");
        var m = new GrammarMatcher(g, ByteVocab.Shared);
        for (int i = 0; i < 500; i++)
        {
            Assert.True(m.Accept('['));
        }

        for (int i = 0; i < 500; i++)
        {
            Assert.True(m.Accept(']'));
        }

        Assert.True(m.IsComplete);
        var loop = new GrammarMatcher(Grammar.FromGbnf("root ::= [a-z]*"), ByteVocab.Shared);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(loop.Accept('a' + (i % 26)));
        }

        Assert.True(loop.StackCount <= 2);
    }

    [Fact]
    public void Masks_are_cached_per_state_and_shared_between_matchers()
    {
        var g = Grammar.FromGbnf("root ::= \"\\\"\" [a-z]* \"\\\"\" # " + Guid.NewGuid().ToString("N"));
        var v = ByteVocab.Create("ab", "\"a", "b\"");
        var a = new GrammarMatcher(g, v);
        var b = new GrammarMatcher(g, v);
        var ma = new ulong[(v.Count + 63) / 64];
        var mb = new ulong[ma.Length];
        a.Accept('"');
        a.FillMask(ma);
        b.Accept(257); // "a: same state content as after '"' then 'a'… different from a's state
        b.FillMask(mb);
        Assert.True(Allowed(mb, 258));
        a.Accept('a');
        a.FillMask(ma);
        Assert.Equal(ma, mb);
    }

    [Fact]
    public void Real_tokenizer_mask_matches_a_brute_force_check()
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("llama-2-tiny-random.gguf"), null, new EngineOptions { Threads = 1 });
        var tok = engine.Tokenizer!;
        var v = TokenVocabulary.For(tok);
        Assert.Same(v, TokenVocabulary.For(tok));
        Assert.True(v.Count >= 32000);
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150}},"required":["name","age"],"additionalProperties":false}""").RootElement;
        var g = Grammar.FromJsonSchema(schema);
        var m = new GrammarMatcher(g, v);
        var rng = new Random(7);
        var mask = new ulong[(v.Count + 63) / 64];
        var text = new StringBuilder();
        for (int step = 0; step < 40 && !m.IsComplete; step++)
        {
            Assert.True(m.FillMask(mask));
            // Brute force: a fresh matcher fed the text so far, then each candidate's bytes.
            var allowed = new List<int>();
            for (int id = 0; id < v.Count; id += 37)
            {
                var probe = new GrammarMatcher(g, v);
                Assert.True(probe.AcceptBytes(Encoding.UTF8.GetBytes(text.ToString())) || text.Length == 0);
                bool ok = v.EndOfGenerationIds.Contains(id) ? probe.CanTerminate : !v.Piece(id).IsEmpty && probe.AcceptBytes(v.Piece(id));
                Assert.Equal(ok, Allowed(mask, id));
            }

            for (int id = 0; id < v.Count; id++)
            {
                if (Allowed(mask, id) && !v.EndOfGenerationIds.Contains(id))
                {
                    allowed.Add(id);
                }
            }

            if (allowed.Count == 0)
            {
                break;
            }

            int pick = allowed[rng.Next(allowed.Count)];
            Assert.True(m.Accept(pick));
            text.Append(Encoding.UTF8.GetString(v.Piece(pick)));
        }
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"id":{"type":"integer","minimum":-50,"maximum":5000},"tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3},"ok":{"type":["boolean","null"]}},"required":["id","tags"],"additionalProperties":false}""", 1)]
    [InlineData("""{"type":"array","items":{"anyOf":[{"type":"number","minimum":0,"maximum":100},{"enum":["x","yz"]}]},"minItems":1,"maxItems":4}""", 2)]
    [InlineData("""{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"code":{"type":"string","pattern":"^[A-Z]{2}\\d{2}$"}},"required":["when","code"]}""", 3)]
    public void Random_walks_with_a_real_vocabulary_produce_valid_json(string schemaText, int seed)
    {
        using var engine = InferenceEngine.Load(TestPaths.Model("llama-2-tiny-random.gguf"), null, new EngineOptions { Threads = 1 });
        var v = TokenVocabulary.For(engine.Tokenizer!);
        var schema = JsonDocument.Parse(schemaText).RootElement;
        var g = Grammar.FromJsonSchema(schema);
        var rng = new Random(seed);
        for (int walk = 0; walk < 3; walk++)
        {
            var (text, ended) = GrammarWalk.Run(g, v, rng, 3000);
            Assert.True(ended, text);
            Assert.Null(MiniSchemaValidator.Validate(JsonDocument.Parse(text).RootElement, schema));
        }
    }
}
