namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>What a <see cref="GrammarSpec"/>'s source text is, so another process can compile it the same way.</summary>
public enum GrammarKind
{
    /// <summary>llama.cpp GBNF with a <c>root</c> rule (guided_grammar, guided_choice, forced tool calls).</summary>
    Gbnf,

    /// <summary>A JSON Schema document (response_format json_schema, guided_json).</summary>
    JsonSchema,

    /// <summary>A regular expression the whole output must match (guided_regex).</summary>
    Regex,

    /// <summary>Any JSON object (response_format json_object); the source is empty.</summary>
    JsonObject,

    /// <summary>A Lark grammar with a <c>start</c> rule (guided_grammar without <c>::=</c>).</summary>
    Lark,

    /// <summary>
    /// One of two grammars (<see cref="Grammar.Either"/>: a tool call or the response format); the source is the JSON
    /// array of the two parts' specs, <c>[{"kind", "source", "path"}, {...}]</c>.
    /// </summary>
    Either,
}
