using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data.Schemas;

internal static partial class RowSchemaParser
{
    /// <summary>
    /// The row's optional <c>tools</c>: <c>[{"type": "function", "function": {"name", "description"?, "parameters"?}}]</c>
    /// as in OpenAI's fine-tuning format; null when absent. <paramref name="ok"/> is false when an entry is malformed.
    /// </summary>
    private static List<ChatTool>? ParseTools(RowView row, Context ctx, out bool ok)
    {
        ok = true;
        if (!row.Has("tools"))
        {
            return null;
        }

        var list = row.GetNested("tools", out string? parseError);
        if (parseError is not null)
        {
            ctx.Add("tools", DatasetErrorKind.InvalidJson, parseError);
            ok = false;
            return null;
        }

        if (list is not { } arr || arr.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (arr.ValueKind != JsonValueKind.Array)
        {
            ctx.Add("tools", DatasetErrorKind.WrongType, $"'tools' must be an array, not {Kind(arr)}");
            ok = false;
            return null;
        }

        var tools = new List<ChatTool>(arr.GetArrayLength());
        var names = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var t in arr.EnumerateArray())
        {
            string path = $"tools[{i++}]";
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
            {
                ctx.Add(path, DatasetErrorKind.InvalidToolCall, "a tool must be an object {\"type\": \"function\", \"function\": {...}}");
                ok = false;
                continue;
            }

            if (t.TryGetProperty("type", out var type) && !(type.ValueKind == JsonValueKind.String && type.GetString() == "function"))
            {
                ctx.Add($"{path}.type", DatasetErrorKind.InvalidToolCall, "only \"function\" tools are supported");
                ok = false;
                continue;
            }

            if (!f.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(n.GetString()))
            {
                ctx.Add($"{path}.function.name", DatasetErrorKind.InvalidToolCall, "a function needs a non-empty string 'name'");
                ok = false;
                continue;
            }

            string name = n.GetString()!;
            if (!names.Add(name))
            {
                ctx.Add($"{path}.function.name", DatasetErrorKind.InvalidToolCall, $"function '{Clip(name)}' is listed twice");
                ok = false;
                continue;
            }

            string? description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            JsonElement? parameters = null;
            if (f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.Object)
                {
                    ctx.Add($"{path}.function.parameters", DatasetErrorKind.InvalidToolCall, $"'parameters' must be a JSON schema object, not {Kind(p)}");
                    ok = false;
                    continue;
                }

                parameters = p.Clone(); // the row's document is disposed after parsing
            }

            tools.Add(new ChatTool(name, description, parameters));
        }

        return tools;
    }

    /// <summary>An assistant message's <c>tool_calls</c>; each id is remembered in <paramref name="callIds"/> for the tool turns after it.</summary>
    private static List<ChatToolCall>? ParseToolCalls(JsonElement tc, string path, Context ctx, HashSet<string> callIds)
    {
        if (tc.ValueKind != JsonValueKind.Array)
        {
            ctx.Add(path, DatasetErrorKind.WrongType, $"'tool_calls' must be an array, not {Kind(tc)}");
            return null;
        }

        int before = ctx.Errors.Count;
        var calls = new List<ChatToolCall>(tc.GetArrayLength());
        int i = 0;
        foreach (var c in tc.EnumerateArray())
        {
            string cp = $"{path}[{i++}]";
            if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
            {
                ctx.Add(cp, DatasetErrorKind.InvalidToolCall, "a tool call must be an object {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
                continue;
            }

            if (!c.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString()))
            {
                ctx.Add($"{cp}.id", DatasetErrorKind.InvalidToolCall, "a tool call needs a non-empty string 'id'");
                continue;
            }

            if (!f.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(n.GetString()))
            {
                ctx.Add($"{cp}.function.name", DatasetErrorKind.InvalidToolCall, "a tool call needs a non-empty string function 'name'");
                continue;
            }

            // OpenAI sends arguments as JSON text; an object is accepted too (what Hermes-style datasets store).
            string? args = null;
            if (f.TryGetProperty("arguments", out var a))
            {
                args = a.ValueKind switch
                {
                    JsonValueKind.String => a.GetString(),
                    JsonValueKind.Object => a.GetRawText(),
                    _ => null,
                };
            }

            if (args is null || !IsJsonObject(args))
            {
                ctx.Add($"{cp}.function.arguments", DatasetErrorKind.InvalidToolCall, "'arguments' must be a JSON object (or its text)");
                continue;
            }

            if (!callIds.Add(id.GetString()!))
            {
                ctx.Add($"{cp}.id", DatasetErrorKind.InvalidToolCall, $"tool call id '{Clip(id.GetString()!)}' is used twice");
                continue;
            }

            calls.Add(new ChatToolCall(id.GetString()!, n.GetString()!, args));
        }

        if (calls.Count == 0 && ctx.Errors.Count == before)
        {
            ctx.Add(path, DatasetErrorKind.InvalidToolCall, "'tool_calls' is empty");
        }

        return ctx.Errors.Count > before ? null : calls;
    }

    /// <summary>A tool message's <c>tool_call_id</c>, which must name a call an earlier assistant message made.</summary>
    private static string? ToolCallIdOf(JsonElement m, string path, Context ctx, HashSet<string> callIds)
    {
        if (!m.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString()))
        {
            ctx.Add($"{path}.tool_call_id", DatasetErrorKind.InvalidToolCall, "a tool message needs the string 'tool_call_id' of the call it answers");
            return null;
        }

        if (!callIds.Contains(id.GetString()!))
        {
            ctx.Add($"{path}.tool_call_id", DatasetErrorKind.InvalidToolCall, $"no earlier assistant message made a tool call with id '{Clip(id.GetString()!)}'");
            return null;
        }

        return id.GetString();
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
