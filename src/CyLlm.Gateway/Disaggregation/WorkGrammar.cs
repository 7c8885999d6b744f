using System.Text.Json.Serialization;
using CyLlm.Engine.Sampling.Grammars;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// A structured-output constraint on the wire (router → decode worker): its source, not the compiled grammar, which
/// the worker compiles again through its own grammar cache (<see cref="Grammar.FromSpec"/>).
/// </summary>
public sealed record WorkGrammar
{
    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    /// <summary>GBNF text, the schema's JSON text, the regex; empty for json_object.</summary>
    [JsonPropertyName("source")]
    public string? Source { get; init; }

    /// <summary>For a schema, the client's field it came from (the start of its error messages' JSON paths).</summary>
    [JsonPropertyName("path")]
    public string? Path { get; init; }

    public static WorkGrammar From(GrammarSpec spec) => new() { Kind = KindName(spec.Kind), Source = spec.Source, Path = spec.Path };

    /// <summary>The spec, or null with the name of the field at fault when <see cref="Kind"/> is unknown or a field is missing.</summary>
    public GrammarSpec? ToSpec(out string? badField)
    {
        GrammarKind? kind = Kind switch
        {
            "gbnf" => GrammarKind.Gbnf,
            "json_schema" => GrammarKind.JsonSchema,
            "regex" => GrammarKind.Regex,
            "json_object" => GrammarKind.JsonObject,
            "lark" => GrammarKind.Lark,
            "either" => GrammarKind.Either,
            _ => null,
        };
        if (kind is null)
        {
            badField = "grammar.kind";
            return null;
        }

        if (Source is null)
        {
            badField = "grammar.source";
            return null;
        }

        badField = null;
        return new GrammarSpec(kind.Value, Source, Path);
    }

    private static string KindName(GrammarKind kind) => kind switch
    {
        GrammarKind.Gbnf => "gbnf",
        GrammarKind.JsonSchema => "json_schema",
        GrammarKind.Regex => "regex",
        GrammarKind.JsonObject => "json_object",
        GrammarKind.Lark => "lark",
        GrammarKind.Either => "either",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no wire name"),
    };
}
