using System.Text.Json;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Engine.Tests.Sampling.Grammars;

/// <summary>
/// A grammar's <see cref="Grammar.Spec"/> compiles back, through <see cref="Grammar.FromSpec"/>, to the grammar it
/// came from (the same cached instance: a worker receiving a source compiles it once), and a bad spec is a
/// <see cref="GrammarException"/> naming what is wrong.
/// </summary>
public sealed class GrammarSpecTests
{
    [Fact]
    public void Every_factory_s_spec_compiles_back_to_the_same_grammar()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""");
        var grammars = new[]
        {
            Grammar.FromGbnf("root ::= \"a\" [b-d]+\n"),
            Grammar.FromJsonSchema(schema.RootElement, "response_format.json_schema.schema"),
            Grammar.JsonObject(),
            Grammar.FromRegex("(yes|no)[0-9]{1,3}"),
            Grammar.FromLark("start: \"x\" NUMBER\n%import common.NUMBER\n"),
            Grammar.Either(Grammar.FromGbnf("root ::= \"call\"\n"), Grammar.FromJsonSchema(schema.RootElement, "response_format.json_schema.schema")),
            Grammar.Either(Grammar.FromLark("start: \"a\"\n"), Grammar.Either(Grammar.JsonObject(), Grammar.FromRegex("z+"))),
        };
        foreach (var g in grammars)
        {
            Assert.Same(g, Grammar.FromSpec(g.Spec));
        }

        Assert.Equal(new GrammarSpec(GrammarKind.JsonSchema, schema.RootElement.GetRawText(), "response_format.json_schema.schema"), grammars[1].Spec);
        Assert.Equal(GrammarKind.Regex, grammars[3].Spec.Kind);
        Assert.Equal(GrammarKind.Lark, grammars[4].Spec.Kind);
        Assert.Equal(GrammarKind.Either, grammars[5].Spec.Kind);

        // A choice travels as its GBNF: the rebuilt grammar accepts exactly the same strings.
        var choice = Grammar.Choice(["red", "green"]);
        Assert.Equal(GrammarKind.Gbnf, choice.Spec.Kind);
        Assert.Equal(choice.Source, Grammar.FromSpec(choice.Spec).Source);
    }

    [Fact]
    public void A_spec_that_does_not_compile_is_a_grammar_exception()
    {
        Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.Gbnf, "root ::= missing\n")));
        var e = Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.JsonSchema, "{nope")));
        Assert.Contains("not valid JSON", e.Message);
        var k = Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.JsonSchema, """{"type":"integer","multipleOf":3}""", "guided_json")));
        Assert.StartsWith("guided_json", k.Message);
        Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.Either, "[]")));
        Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.Either, "not json")));
        Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.Either, """[{"Kind":"Nope","Source":""},{"Kind":"Gbnf","Source":"root ::= \"a\"\n"}]""")));
        Assert.Throws<GrammarException>(() => Grammar.FromSpec(new GrammarSpec(GrammarKind.Either, new string('[', 200) + new string(']', 200))));
    }
}
