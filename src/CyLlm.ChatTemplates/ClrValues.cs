using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using CyLlm.ChatTemplates.Jinja;

namespace CyLlm.ChatTemplates;

/// <summary>Converts caller values (options variables) into fresh template values the template cannot alias.</summary>
internal static class ClrValues
{
    private const int MaxDepth = 64;

    public static object? Convert(string name, object? value) => Convert(name, value, 0);

    public static PyDict Message(ChatMessage m)
    {
        bool calls = m.ToolCalls is { Count: > 0 };
        var d = new PyDict(5)
        {
            ["role"] = m.Role,
            // OpenAI clients send content null beside tool_calls; it stays "" (as vLLM passes it): templates test it with
            // "if message.content", and some (Qwen3's "'<think>' in content") fail on none.
            ["content"] = m.Content,
        };
        if (m.Name is not null)
        {
            d["name"] = m.Name;
        }

        if (calls)
        {
            var list = new List<object?>(m.ToolCalls!.Count);
            foreach (var c in m.ToolCalls)
            {
                list.Add(new PyDict(3)
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new PyDict(2) { ["name"] = c.Name, ["arguments"] = Arguments(c.Arguments) },
                });
            }

            // The key only exists with calls: Llama 3.1 tests "'tool_calls' in message".
            d["tool_calls"] = list;
        }

        if (m.ToolCallId is not null)
        {
            d["tool_call_id"] = m.ToolCallId;
        }

        return d;
    }

    /// <summary>The <c>tools</c> variable: a list of <c>{"type": "function", "function": {...}}</c> dicts.</summary>
    public static List<object?> Tools(IReadOnlyList<ChatTool> tools)
    {
        var list = new List<object?>(tools.Count);
        foreach (var t in tools)
        {
            var f = new PyDict(3) { ["name"] = t.Name };
            if (t.Description is not null)
            {
                f["description"] = t.Description;
            }

            if (t.Parameters is { } p)
            {
                f["parameters"] = FromJson("tools", p, 1);
            }

            list.Add(new PyDict(2) { ["type"] = "function", ["function"] = f });
        }

        return list;
    }

    /// <summary>Arguments JSON text decoded to a dict (what templates expect), or the text when it is no JSON object.</summary>
    private static object? Arguments(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? FromJson("arguments", doc.RootElement, 1) : json;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static object? Convert(string name, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"template variable '{name}' is nested deeper than {MaxDepth} levels", nameof(value));
        }

        switch (value)
        {
            case null:
                return null;
            case string or bool or long or double:
                return value;
            case int or short or sbyte or byte or ushort or uint:
                return System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            case ulong u:
                return u <= long.MaxValue ? (long)u : (object)(double)u;
            case float or decimal:
                return System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            case char c:
                return c.ToString();
            case ChatMessage m:
                return Message(m);
            case JsonElement e:
                return FromJson(name, e, depth);
            case JsonNode node:
                return FromJson(name, JsonSerializer.SerializeToElement(node), depth);
            case IDictionary<string, object?> gd:
                {
                    var d = new PyDict(gd.Count);
                    foreach (var (k, v) in gd)
                    {
                        d[k] = Convert(name, v, depth + 1);
                    }

                    return d;
                }

            case IReadOnlyDictionary<string, object?> rd:
                {
                    var d = new PyDict(rd.Count);
                    foreach (var (k, v) in rd)
                    {
                        d[k] = Convert(name, v, depth + 1);
                    }

                    return d;
                }

            case IDictionary nd:
                {
                    var d = new PyDict(nd.Count);
                    foreach (DictionaryEntry entry in nd)
                    {
                        if (entry.Key is not string k)
                        {
                            throw new ArgumentException($"template variable '{name}' has a dictionary key that is not a string", nameof(value));
                        }

                        d[k] = Convert(name, entry.Value, depth + 1);
                    }

                    return d;
                }

            case IEnumerable seq:
                {
                    var list = new List<object?>();
                    foreach (var item in seq)
                    {
                        list.Add(Convert(name, item, depth + 1));
                        if (list.Count > RenderBudget.MaxItems)
                        {
                            throw new ArgumentException($"template variable '{name}' has more than {RenderBudget.MaxItems} items", nameof(value));
                        }
                    }

                    return list;
                }

            default:
                throw new ArgumentException($"template variable '{name}' has an unsupported type {value.GetType().Name}", nameof(value));
        }
    }

    private static object? FromJson(string name, JsonElement e, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"template variable '{name}' is nested deeper than {MaxDepth} levels", nameof(e));
        }

        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var d = new PyDict();
                    foreach (var p in e.EnumerateObject())
                    {
                        d[p.Name] = FromJson(name, p.Value, depth + 1);
                    }

                    return d;
                }

            case JsonValueKind.Array:
                {
                    var list = new List<object?>(e.GetArrayLength());
                    foreach (var item in e.EnumerateArray())
                    {
                        list.Add(FromJson(name, item, depth + 1));
                    }

                    return list;
                }

            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out long l) ? l : (object)e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
