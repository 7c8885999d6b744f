using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = CyLlm.ChatTemplates.ChatMessage;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Microsoft.Extensions.AI tool calling for <see cref="EngineChatClient"/>: <see cref="ChatOptions.Tools"/> (function
/// declarations) become the template's tools, <see cref="FunctionCallContent"/> an assistant turn's tool calls and
/// <see cref="FunctionResultContent"/> tool turns; the reply's parsed calls come back as FunctionCallContent, so
/// FunctionInvokingChatClient can run them and send the results.
/// </summary>
internal static class ChatClientTools
{
    // Compact JSON, as OpenAI clients send arguments (the default options indent).
    private static readonly JsonSerializerOptions Json = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    /// <summary>The conversation as template messages (one tool turn per function result).</summary>
    public static List<TemplateMessage> Messages(IEnumerable<AiChatMessage> messages)
    {
        var list = new List<TemplateMessage>();
        foreach (var m in messages)
        {
            var results = m.Contents.OfType<FunctionResultContent>().ToList();
            if (results.Count > 0)
            {
                foreach (var r in results)
                {
                    list.Add(new TemplateMessage("tool", ResultText(r.Result)) { ToolCallId = r.CallId });
                }

                continue;
            }

            var calls = m.Contents.OfType<FunctionCallContent>().ToList();
            var msg = new TemplateMessage(m.Role.Value, m.Text);
            list.Add(calls.Count == 0 ? msg : msg with
            {
                ToolCalls = calls.Select(c => new ChatToolCall(c.CallId, c.Name, ArgumentsJson(c.Arguments))).ToList(),
            });
        }

        return list;
    }

    /// <summary>The function declarations of <paramref name="options"/> as template tools (other tool kinds are not rendered).</summary>
    public static List<ChatTool> Tools(ChatOptions? options) =>
        options?.Tools?.OfType<AIFunctionDeclaration>().Select(f => new ChatTool(f.Name, string.IsNullOrEmpty(f.Description) ? null : f.Description, f.JsonSchema)).ToList() ?? [];

    /// <summary><see cref="ChatOptions.ToolMode"/> as a tool choice (auto when unset).</summary>
    public static ToolChoice Choice(ChatOptions? options, IReadOnlyList<ChatTool> tools)
    {
        if (tools.Count == 0 || options?.ToolMode is NoneChatToolMode)
        {
            return ToolChoice.None;
        }

        if (options?.ToolMode is RequiredChatToolMode required)
        {
            if (required.RequiredFunctionName is { } name)
            {
                return tools.Any(t => t.Name == name)
                    ? new ToolChoice(ToolChoiceMode.Function, name)
                    : throw new ArgumentException($"ToolMode requires function '{name}', which is not among the options' tools", nameof(options));
            }

            return ToolChoice.Required;
        }

        return ToolChoice.Auto;
    }

    /// <summary>Parser events as response contents: text, reasoning (gpt-oss's analysis channel), or a function call
    /// with its arguments decoded.</summary>
    public static List<AIContent> Contents(IEnumerable<ToolParseEvent> events)
    {
        var list = new List<AIContent>();
        foreach (var e in events)
        {
            list.Add(e.Call is { } c ? new FunctionCallContent(c.Id, c.Name, Arguments(c.Arguments))
                : e.Reasoning is { } r ? new TextReasoningContent(r)
                : new TextContent(e.Content));
        }

        return list;
    }

    private static Dictionary<string, object?> Arguments(string json)
    {
        // The parser only yields calls whose arguments are a JSON object.
        using var doc = JsonDocument.Parse(json);
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            d[p.Name] = p.Value.Clone();
        }

        return d;
    }

    private static string ArgumentsJson(IDictionary<string, object?>? args) =>
        args is null ? "{}" : JsonSerializer.Serialize(args, Json.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement e when e.ValueKind == JsonValueKind.String => e.GetString()!,
        _ => JsonSerializer.Serialize(result, Json.GetTypeInfo(typeof(object))),
    };
}
