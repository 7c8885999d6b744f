using System.Text.Json;
using CsCheck;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

/// <summary>Random schemas of the supported subset, random constrained walks: every finished walk is JSON valid
/// against its schema, and no mask is empty before the grammar is complete.</summary>
public sealed class GrammarPropertyTests
{
    /// <summary>A vocabulary of single printable characters plus JSON-ish multi-byte tokens, as a BPE would have.</summary>
    private static readonly TokenVocabulary Vocab = BuildVocab();

    private static TokenVocabulary BuildVocab()
    {
        var pieces = new List<byte[]>();
        for (int b = 0x20; b < 0x7F; b++)
        {
            pieces.Add([(byte)b]);
        }

        foreach (string s in new[] { "\n", "{\"", "\":", "\": ", "\",", "\"}", "}}", "[]", "true", "false", "null", "12", "-3", ".5", "e+", "ab", "é", "\\n", "\\\"", "\\u00", "  ", "\"]", "], \"", "nu", "ll", "ra" })
        {
            pieces.Add(System.Text.Encoding.UTF8.GetBytes(s));
        }

        pieces.Add([]);
        return new TokenVocabulary(pieces, [pieces.Count - 1]);
    }

    private static Gen<string> Schema(int depth)
    {
        var leaves = Gen.OneOf(
            Gen.Const("""{"type":"string"}"""),
            Gen.Int[0, 3].SelectMany(a => Gen.Int[0, 4].Select(b => $$"""{"type":"string","minLength":{{a}},"maxLength":{{a + b}}}""")),
            Gen.Const("""{"type":"string","pattern":"^[a-c]+-\\d{1,3}$"}"""),
            Gen.Const("""{"type":"string","format":"uuid"}"""),
            Gen.Const("""{"type":"integer"}"""),
            Gen.Int[-300, 300].SelectMany(a => Gen.Int[0, 500].Select(b => $$"""{"type":"integer","minimum":{{a}},"maximum":{{a + b}}}""")),
            Gen.Const("""{"type":"number"}"""),
            Gen.Const("""{"type":"number","minimum":0}"""),
            Gen.Int[-50, 50].SelectMany(a => Gen.Int[0, 60].Select(b => $$"""{"type":"number","minimum":{{a}},"maximum":{{a + b}}}""")),
            Gen.Const("""{"type":"boolean"}"""),
            Gen.Const("""{"type":"null"}"""),
            Gen.Const("""{"type":["integer","null"]}"""),
            Gen.Const("""{"enum":["x","y z",1,null,{"k":[true]}]}"""),
            Gen.Const("""{"const":"fixed"}"""));
        if (depth == 0)
        {
            return leaves;
        }

        var inner = Schema(depth - 1);
        var obj = Gen.Int[0, 4].SelectMany(n => inner.Array[n].SelectMany(props => Gen.Bool.Array[n].SelectMany(req => Gen.Int[0, 2].Select(addl =>
        {
            var ps = props.Select((p, i) => $"\"p{i}\":{p}");
            var rq = req.Select((r, i) => (r, i)).Where(x => x.r).Select(x => $"\"p{x.i}\"");
            string additional = addl switch { 0 => ",\"additionalProperties\":false", 1 => "", _ => ",\"additionalProperties\":{\"type\":\"integer\"}" };
            return "{\"type\":\"object\",\"properties\":{" + string.Join(",", ps) + "},\"required\":[" + string.Join(",", rq) + "]" + additional + "}";
        }))));
        var arr = inner.SelectMany(item => Gen.Int[0, 2].SelectMany(min => Gen.Int[0, 3].Select(extra =>
            $$"""{"type":"array","items":{{item}},"minItems":{{min}},"maxItems":{{min + extra}}}""")));
        var any = inner.SelectMany(a => inner.Select(b => $$"""{"anyOf":[{{a}},{{b}}]}"""));
        return Gen.Frequency((3, leaves), (3, obj), (2, arr), (1, any));
    }

    [Fact]
    public void Random_walks_over_random_schemas_produce_valid_json()
    {
        Schema(2).SelectMany(s => Gen.Int.Select(seed => (s, seed))).Sample(t =>
        {
            var (schemaText, seed) = t;
            var schema = JsonDocument.Parse(schemaText).RootElement;
            var g = Grammar.FromJsonSchema(schema);
            var rng = new Random(seed);
            for (int walk = 0; walk < 3; walk++)
            {
                var (text, ended) = GrammarWalk.Run(g, Vocab, rng, 6000);
                Assert.True(ended, $"walk did not finish for {schemaText}: {text}");
                JsonElement doc;
                try
                {
                    doc = JsonDocument.Parse(text).RootElement;
                }
                catch (JsonException e)
                {
                    throw new Xunit.Sdk.XunitException($"not JSON for {schemaText}: {text} ({e.Message})");
                }

                Assert.True(MiniSchemaValidator.Validate(doc, schema) is null, $"{MiniSchemaValidator.Validate(doc, schema)} for {schemaText}: {text}");
            }
        }, iter: 60, seed: "0N0XIzNsQ0O2", threads: 1);
    }

    [Fact]
    public void Random_walks_over_json_object_and_regex_grammars()
    {
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var (obj, ended) = GrammarWalk.Run(Grammar.JsonObject(), Vocab, rng, 6000);
            Assert.True(ended, obj);
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(obj).RootElement.ValueKind);
            var (phone, ended2) = GrammarWalk.Run(Grammar.FromRegex(@"\(\d{3}\) \d{3}-\d{4}( x\d+)?"), Vocab, rng, 200);
            Assert.True(ended2);
            Assert.Matches(@"^\(\d{3}\) \d{3}-\d{4}( x\d+)?$", phone);
        }, iter: 40, seed: "0N0XIzNsQ0O2", threads: 1);
    }

    private static readonly string[] MaskGrammars =
    [
        "root ::= \"\\\"\" [^\"]* \"\\\"\"",
        "root ::= [a-z ]* \"!\"",
        "root ::= (\"ab\" | \"a\" [^a]*)+ \"\\\"\"",
        "root ::= \"\\\"\" ([^\"\\\\] | \"\\\\\" [\"\\\\n])* \"\\\"\" [ ]{0,3}",
        "root ::= ([a-b]{2,3} \"é\"?)*",
    ];

    /// <summary>The mask equals a brute-force check of every token (a fresh matcher fed the text, then the token),
    /// over random vocabularies of overlapping multi-byte tokens: the sweep's shortcuts never change the answer.</summary>
    [Fact]
    public void Mask_equals_brute_force_on_random_vocabularies()
    {
        var alphabet = new[] { "a", "b", "z", " ", "\"", "\\", "n", "é", "!", "ab" };
        var genVocab = Gen.Int[0, alphabet.Length - 1].Array[1, 5].Select(ix => string.Concat(ix.Select(i => alphabet[i]))).Array[20, 120];
        Gen.Select(genVocab, Gen.Int[0, MaskGrammars.Length - 1], Gen.Int).Sample((texts, gi, seed) =>
        {
            var pieces = texts.Select(t => System.Text.Encoding.UTF8.GetBytes(t)).Append([]).ToList();
            var v = new TokenVocabulary(pieces, [pieces.Count - 1]);
            var g = Grammar.FromGbnf(MaskGrammars[gi]);
            var m = new GrammarMatcher(g, v);
            var rng = new Random(seed);
            var mask = new ulong[(v.Count + 63) / 64];
            var text = new List<byte>();
            for (int step = 0; step < 12 && !m.IsComplete; step++)
            {
                m.FillMask(mask);
                var allowed = new List<int>();
                for (int id = 0; id < v.Count; id++)
                {
                    var probe = new GrammarMatcher(g, v);
                    Assert.True(text.Count == 0 || probe.AcceptBytes(text.ToArray()));
                    bool ok = id == v.Count - 1 ? probe.CanTerminate : probe.AcceptBytes(pieces[id]);
                    bool got = (mask[id >> 6] & (1UL << (id & 63))) != 0;
                    Assert.True(ok == got, $"token {id} '{System.Text.Encoding.UTF8.GetString(pieces[id])}' after '{System.Text.Encoding.UTF8.GetString(text.ToArray())}': mask {got}, brute force {ok}");
                    if (ok && id != v.Count - 1)
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
                text.AddRange(pieces[pick]);
            }
        }, iter: 150, threads: 1);
    }
}
