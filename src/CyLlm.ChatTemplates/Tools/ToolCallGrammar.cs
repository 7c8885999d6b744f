using System.Text;
using System.Text.Json;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// GBNF text for "the whole output is tool calls in this family's format, each naming one of the tools with
/// arguments that match its parameters schema" — how <c>tool_choice: "required"</c> and a named function are
/// enforced by constrained decoding. For a named choice only that function is allowed. Parallel calls follow
/// <c>parallel_tool_calls</c>; Llama 3 writes one call. The schema step is passed in (<see cref="JsonSchemaToGbnf"/>)
/// so this class does not depend on the grammar engine. The grammar matches the output from its first token:
/// a request constrained by it must not also get <see cref="ToolCallDialect.GenerationPrefix"/>.
/// </summary>
public static class ToolCallGrammar
{
    private static readonly JsonElement AnyObject = JsonDocument.Parse("{\"type\": \"object\"}").RootElement.Clone();

    /// <summary>The GBNF text (root rule <c>root</c>) for <paramref name="choice"/> over <paramref name="tools"/>.</summary>
    public static string Build(ToolCallFamily family, IReadOnlyList<ChatTool> tools, ToolChoice choice, bool parallel, JsonSchemaToGbnf schemaToGbnf)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(schemaToGbnf);
        if (!choice.Forces)
        {
            throw new ArgumentException("only required and named tool choices are constrained", nameof(choice));
        }

        var allowed = choice.Mode == ToolChoiceMode.Function ? tools.Where(t => t.Name == choice.FunctionName).ToList() : tools.ToList();
        if (allowed.Count == 0)
        {
            throw new ArgumentException("the tool choice names no function of tools", nameof(choice));
        }

        string argsKey = family == ToolCallFamily.Llama3 ? "parameters" : "arguments";
        var sb = new StringBuilder();
        var alternatives = new List<string>();
        for (int i = 0; i < allowed.Count; i++)
        {
            var (rules, root) = schemaToGbnf(allowed[i].Parameters ?? AnyObject, $"tool{i}-");
            sb.Append(rules.TrimEnd()).Append('\n');
            if (family == ToolCallFamily.MistralArgs)
            {
                sb.Append($"tool{i} ::= {Literal(allowed[i].Name + "[ARGS]")} {root}\n");
            }
            else if (family == ToolCallFamily.Harmony)
            {
                sb.Append($"tool{i} ::= {Literal(" to=functions." + allowed[i].Name + " <|constrain|>json<|message|>")} {root}\n");
            }
            else
            {
                string head = "{\"name\": " + JsonSerializer.Serialize(allowed[i].Name) + ", \"" + argsKey + "\": ";
                sb.Append($"tool{i} ::= {Literal(head)} {root} {Literal("}")}\n");
            }

            alternatives.Add($"tool{i}");
        }

        sb.Append("call ::= ").Append(string.Join(" | ", alternatives)).Append('\n');
        sb.Append(family switch
        {
            ToolCallFamily.Mistral => parallel
                ? $"root ::= {Literal("[TOOL_CALLS][")} call ({Literal(", ")} call)* {Literal("]")}\n"
                : $"root ::= {Literal("[TOOL_CALLS][")} call {Literal("]")}\n",
            ToolCallFamily.MistralArgs => parallel
                ? $"root ::= ({Literal("[TOOL_CALLS]")} call)+\n"
                : $"root ::= {Literal("[TOOL_CALLS]")} call\n",
            ToolCallFamily.Llama3 => "root ::= call\n",
            // One call per reply: the model ends it with <|call|>, an end-of-generation token.
            ToolCallFamily.Harmony => $"root ::= {Literal("<|channel|>commentary")} call\n",
            _ => (parallel ? "root ::= tagged (\"\\n\" tagged)*\n" : "root ::= tagged\n") +
                 $"tagged ::= {Literal("<tool_call>\n")} call {Literal("\n</tool_call>")}\n",
        });
        return sb.ToString();
    }

    /// <summary>A GBNF string literal for <paramref name="text"/>.</summary>
    public static string Literal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }
}
