using System.Text;

namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// Tools for a chat template that knows none (docs/tool-calling.md): the conversation is rewritten into turns
/// every template renders. The tools go into a system preamble in the Hermes format Qwen 2.5 uses (one JSON
/// function signature per line inside &lt;tools&gt;&lt;/tools&gt;, and the instruction to answer with
/// <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>), after the caller's system text
/// when there is one. Assistant calls become that text; consecutive tool results become one user turn of
/// <c>&lt;tool_response&gt;...&lt;/tool_response&gt;</c> blocks. Output is parsed as <see cref="ToolCallFamily.Hermes"/>.
/// </summary>
public static class ToolPromptFallback
{
    // Rendered by the Jinja engine itself so the signatures are json.dumps text, exactly what Qwen 2.5 shows.
    private static readonly Lazy<ChatTemplate> Preamble = new(() => ChatTemplate.Parse(
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>" +
        "{% for tool in tools %}{{ \"\\n\" }}{{ tool | tojson }}{% endfor %}{{ \"\\n\" }}</tools>\n\n" +
        "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
        "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"));

    /// <summary>The preamble text for <paramref name="tools"/>.</summary>
    public static string PreambleFor(IReadOnlyList<ChatTool> tools) =>
        Preamble.Value.Render([], new ChatTemplateOptions { Tools = tools, AddGenerationPrompt = false });

    /// <summary>The conversation with tools, calls and results as plain text (unchanged when there are none).</summary>
    public static IReadOnlyList<ChatMessage> Rewrite(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = new List<ChatMessage>(messages.Count + 1);
        int start = 0;
        if (tools is { Count: > 0 })
        {
            string preamble = PreambleFor(tools);
            if (messages.Count > 0 && messages[0].Role == "system")
            {
                list.Add(messages[0] with { Content = messages[0].Content + "\n\n" + preamble });
                start = 1;
            }
            else
            {
                list.Add(new ChatMessage("system", preamble));
            }
        }

        for (int i = start; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == "tool")
            {
                var sb = new StringBuilder();
                for (; i < messages.Count && messages[i].Role == "tool"; i++)
                {
                    sb.Append(sb.Length == 0 ? "" : "\n").Append("<tool_response>\n").Append(messages[i].Content).Append("\n</tool_response>");
                }

                i--;
                list.Add(new ChatMessage("user", sb.ToString()));
            }
            else if (m.ToolCalls is { Count: > 0 } calls)
            {
                var sb = new StringBuilder(m.Content);
                foreach (var c in calls)
                {
                    sb.Append(sb.Length == 0 ? "" : "\n").Append("<tool_call>\n{\"name\": ")
                        .Append(System.Text.Json.JsonSerializer.Serialize(c.Name)).Append(", \"arguments\": ").Append(c.Arguments).Append("}\n</tool_call>");
                }

                list.Add(new ChatMessage(m.Role, sb.ToString(), m.Name));
            }
            else
            {
                list.Add(m with { ToolCallId = null });
            }
        }

        return list;
    }
}
