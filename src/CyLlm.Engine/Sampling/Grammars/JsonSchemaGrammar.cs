using System.Text.Json;

namespace CyLlm.Engine.Sampling.Grammars;

/// <summary>
/// JSON Schema → GBNF for the subset OpenAI's strict structured outputs support (see
/// <see cref="JsonSchemaConverter"/> for the keywords). Output is compact JSON: at most one space between
/// tokens (optional); required properties come first in schema order, then the optional ones in order.
/// </summary>
public static class JsonSchemaGrammar
{
    /// <summary>
    /// The GBNF rules for <paramref name="schema"/>, every rule name starting with <paramref name="rulePrefix"/>,
    /// and the name of the rule matching a document. Callers compose it, e.g.
    /// <c>root ::= "&lt;tool_call&gt;\n" {root} "\n&lt;/tool_call&gt;"</c>.
    /// </summary>
    /// <param name="path">The schema's location in the request, used in error messages.</param>
    /// <param name="compact">At most one space between JSON tokens (the default) instead of up to 20 whitespace characters.</param>
    /// <exception cref="GrammarException">A keyword that cannot be enforced, with its JSON path.</exception>
    public static (string Rules, string RootRule) ToGbnf(JsonElement schema, string rulePrefix = "", string path = "schema", bool compact = true)
    {
        var c = new JsonSchemaConverter(schema, rulePrefix, compact);
        string root = c.Convert(path);
        return (c.Rules, root);
    }

    /// <summary>A complete grammar (with <c>root</c>) for any JSON object.</summary>
    public static string AnyObjectGbnf()
    {
        var c = new JsonSchemaConverter(default, "");
        string obj = c.AnyObjectRule();
        return c.Rules + "root ::= " + obj + "\n";
    }
}
