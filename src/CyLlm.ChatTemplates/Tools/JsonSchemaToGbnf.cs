using System.Text.Json;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// The JSON-schema-to-GBNF step <see cref="ToolCallGrammar"/> needs: the rules (every rule name starting with
/// <paramref name="rulePrefix"/>) and the name of the rule that matches a value of <paramref name="schema"/>.
/// The grammar engine's <c>JsonSchemaGrammar.ToGbnf</c> has this shape.
/// </summary>
public delegate (string Rules, string Root) JsonSchemaToGbnf(JsonElement schema, string rulePrefix);
