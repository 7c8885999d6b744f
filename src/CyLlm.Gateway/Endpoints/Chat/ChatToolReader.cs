using System.Text.Json;
using System.Text.RegularExpressions;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>
/// Validates OpenAI's tool fields of a chat request — <c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c>,
/// an assistant's <c>tool_calls</c> and a tool result's <c>tool_call_id</c> — into engine values; every mistake
/// is a 400 naming the field (e.g. <c>tools[1].function.name</c>).
/// </summary>
public static partial class ChatToolReader
{
    /// <summary>OpenAI's limit on tools per request.</summary>
    public const int MaxTools = 128;

    /// <summary>OpenAI's function name rule: letters, digits, underscores and dashes, at most 64.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NameRule();

    public static ChatToolSettings Read(ChatCompletionRequest req)
    {
        var tools = Tools(req.Tools);
        bool hasChoice = req.ToolChoice is { ValueKind: not JsonValueKind.Null };
        if (tools.Count == 0 && hasChoice)
        {
            throw ApiError.BadRequest("tool_choice is only allowed when tools are given", "tool_choice");
        }

        if (tools.Count == 0 && req.ParallelToolCalls is not null)
        {
            throw ApiError.BadRequest("parallel_tool_calls is only allowed when tools are given", "parallel_tool_calls");
        }

        if (tools.Count == 0)
        {
            return ChatToolSettings.Empty;
        }

        var choice = hasChoice ? Choice(req.ToolChoice!.Value, tools) : ToolChoice.Auto;
        return new ChatToolSettings(tools, choice, req.ParallelToolCalls ?? true);
    }

    private static List<ChatTool> Tools(JsonElement? json)
    {
        if (json is not { } t || t.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (t.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.BadRequest("tools must be an array of {\"type\": \"function\", \"function\": {...}} objects", "tools");
        }

        if (t.GetArrayLength() == 0)
        {
            throw ApiError.BadRequest("tools must list at least one function (leave tools out for none)", "tools");
        }

        if (t.GetArrayLength() > MaxTools)
        {
            throw ApiError.BadRequest($"tools has {t.GetArrayLength()} entries; at most {MaxTools} are allowed", "tools");
        }

        var list = new List<ChatTool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var tool in t.EnumerateArray())
        {
            string p = $"tools[{i}]";
            if (tool.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest($"{p} must be an object", p);
            }

            Only(tool, p, "type", "function");
            if (!tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
            {
                throw ApiError.BadRequest($"{p}.type must be \"function\"", $"{p}.type");
            }

            if (!tool.TryGetProperty("function", out var fn) || fn.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest($"{p}.function must be an object", $"{p}.function");
            }

            p += ".function";
            Only(fn, p, "name", "description", "parameters", "strict");
            string name = Name(fn, p);
            if (!names.Add(name))
            {
                throw ApiError.BadRequest($"{p}.name '{name}' is given twice; function names must be unique", $"{p}.name");
            }

            string? description = null;
            if (fn.TryGetProperty("description", out var d) && d.ValueKind != JsonValueKind.Null)
            {
                description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw ApiError.BadRequest($"{p}.description must be a string", $"{p}.description");
            }

            JsonElement? parameters = null;
            if (fn.TryGetProperty("parameters", out var ps) && ps.ValueKind != JsonValueKind.Null)
            {
                parameters = ps.ValueKind == JsonValueKind.Object ? ps.Clone() : throw ApiError.BadRequest($"{p}.parameters must be a JSON schema object", $"{p}.parameters");
            }

            if (fn.TryGetProperty("strict", out var strict) && strict.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                throw ApiError.BadRequest($"{p}.strict must be a boolean", $"{p}.strict");
            }

            list.Add(new ChatTool(name, description, parameters));
            i++;
        }

        return list;
    }

    private static ToolChoice Choice(JsonElement c, List<ChatTool> tools)
    {
        const string P = "tool_choice";
        if (c.ValueKind == JsonValueKind.String)
        {
            return c.GetString() switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => ToolChoice.Required,
                var other => throw ApiError.BadRequest($"tool_choice must be \"none\", \"auto\", \"required\" or a function choice (got '{other}')", P),
            };
        }

        if (c.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadRequest("tool_choice must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}", P);
        }

        Only(c, P, "type", "function");
        if (!c.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
        {
            throw ApiError.BadRequest("tool_choice.type must be \"function\"", "tool_choice.type");
        }

        if (!c.TryGetProperty("function", out var fn) || fn.ValueKind != JsonValueKind.Object)
        {
            throw ApiError.BadRequest("tool_choice.function must be an object with a name", "tool_choice.function");
        }

        Only(fn, "tool_choice.function", "name");
        string name = Name(fn, "tool_choice.function");
        if (!tools.Any(t => t.Name == name))
        {
            throw ApiError.BadRequest($"tool_choice names function '{name}', which is not in tools", "tool_choice.function.name");
        }

        return new ToolChoice(ToolChoiceMode.Function, name);
    }

    /// <summary>
    /// An assistant message's tool_calls (<paramref name="param"/> is <c>messages[i].tool_calls</c>); each id is
    /// added to <paramref name="ids"/> for the tool results that follow.
    /// </summary>
    public static List<ChatToolCall> Calls(JsonElement calls, string param, HashSet<string> ids)
    {
        if (calls.ValueKind != JsonValueKind.Array || calls.GetArrayLength() == 0)
        {
            throw ApiError.BadRequest($"{param} must be a non-empty array of tool calls", param);
        }

        var list = new List<ChatToolCall>();
        int j = 0;
        foreach (var call in calls.EnumerateArray())
        {
            string p = $"{param}[{j++}]";
            if (call.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest($"{p} must be an object", p);
            }

            Only(call, p, "id", "type", "function");
            if (!call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
            {
                throw ApiError.BadRequest($"{p}.id must be a non-empty string", $"{p}.id");
            }

            if (!call.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
            {
                throw ApiError.BadRequest($"{p}.type must be \"function\"", $"{p}.type");
            }

            if (!call.TryGetProperty("function", out var fn) || fn.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest($"{p}.function must be an object with name and arguments", $"{p}.function");
            }

            Only(fn, $"{p}.function", "name", "arguments");
            string name = Name(fn, $"{p}.function");
            if (!fn.TryGetProperty("arguments", out var args) || args.ValueKind != JsonValueKind.String)
            {
                throw ApiError.BadRequest($"{p}.function.arguments must be a string (the arguments as JSON text)", $"{p}.function.arguments");
            }

            if (!ids.Add(id.GetString()!))
            {
                throw ApiError.BadRequest($"{p}.id '{id.GetString()}' is used by an earlier tool call", $"{p}.id");
            }

            list.Add(new ChatToolCall(id.GetString()!, name, args.GetString()!));
        }

        return list;
    }

    /// <summary>A tool message's tool_call_id: it must name a call of an earlier assistant message.</summary>
    public static string CallId(JsonElement? json, string param, HashSet<string> ids)
    {
        if (json is not { ValueKind: JsonValueKind.String } id || id.GetString()!.Length == 0)
        {
            throw ApiError.BadRequest($"{param} is required for a tool message and must be a string", param);
        }

        return ids.Contains(id.GetString()!)
            ? id.GetString()!
            : throw ApiError.BadRequest($"{param} '{id.GetString()}' matches no tool call of an earlier assistant message", param);
    }

    private static string Name(JsonElement fn, string p)
    {
        if (!fn.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
        {
            throw ApiError.BadRequest($"{p}.name must be a string", $"{p}.name");
        }

        string name = n.GetString()!;
        return NameRule().IsMatch(name)
            ? name
            : throw ApiError.BadRequest($"{p}.name '{name}' is invalid: use 1 to 64 letters, digits, underscores or dashes", $"{p}.name");
    }

    /// <summary>Rejects keys other than <paramref name="allowed"/>, naming the first (nothing is silently ignored).</summary>
    private static void Only(JsonElement obj, string p, params string[] allowed)
    {
        foreach (var prop in obj.EnumerateObject())
        {
            if (Array.IndexOf(allowed, prop.Name) < 0)
            {
                throw ApiError.Unsupported($"{p}.{prop.Name}");
            }
        }
    }
}
