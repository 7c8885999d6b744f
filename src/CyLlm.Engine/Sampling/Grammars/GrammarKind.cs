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
}
