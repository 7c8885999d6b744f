using System.Text.Json;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data.Schemas;

internal static partial class RowSchemaParser
{
    private static ParsedRow? ParseChat(RowView row, Context ctx)
    {
        // OpenAI's fine-tuning format for function calling: a row-level "tools" list, assistant "tool_calls" and
        // "tool" turns; the chat template renders them exactly as it renders a served request's.
        var tools = ParseTools(row, ctx, out bool toolsOk);
        var parsed = ParseConversation(row, ctx, DatasetSchema.OpenAiChat, "messages", "role", "content", MapChatRole, toolTurns: true);
        return parsed is null || !toolsOk ? null : parsed with { Tools = tools };
    }

    private static ParsedRow? ParseShareGpt(RowView row, Context ctx) =>
        ParseConversation(row, ctx, DatasetSchema.ShareGpt, "conversations", "from", "value", MapShareGptRole, toolTurns: false);

    private static string? MapChatRole(string role) => role is "system" or "user" or "assistant" or "tool" ? role : null;

    private static string? MapShareGptRole(string from) => from switch
    {
        "system" => "system",
        "human" or "user" => "user",
        "gpt" or "assistant" => "assistant",
        _ => null,
    };

    /// <summary>
    /// The shared checks of OpenAI chat and ShareGPT rows: an array of objects with a known role and non-empty
    /// string content, at least one trained assistant message, ending with the assistant. OpenAI's optional
    /// <c>weight</c> (0 or 1, assistant messages only) decides which assistant turns are targets. With
    /// <paramref name="toolTurns"/> (OpenAI chat), an assistant message may carry <c>tool_calls</c> (its content
    /// then optional) and a <c>tool</c> message answers an earlier call by <c>tool_call_id</c>.
    /// </summary>
    private static ParsedRow? ParseConversation(RowView row, Context ctx, DatasetSchema schema, string listName, string roleName, string contentName, Func<string, string?> mapRole, bool toolTurns)
    {
        var list = row.GetNested(listName, out string? parseError);
        if (parseError is not null)
        {
            ctx.Add(listName, DatasetErrorKind.InvalidJson, parseError);
            return null;
        }

        if (list is not { } arr)
        {
            ctx.Add(listName, DatasetErrorKind.MissingField, $"the row has no '{listName}' field");
            return null;
        }

        if (arr.ValueKind != JsonValueKind.Array)
        {
            ctx.Add(listName, DatasetErrorKind.WrongType, $"'{listName}' must be an array, not {Kind(arr)}");
            return null;
        }

        int before = ctx.Errors.Count;
        var messages = new List<TrainMessage>(arr.GetArrayLength());
        var callIds = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var m in arr.EnumerateArray())
        {
            string path = $"{listName}[{i++}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                ctx.Add(path, DatasetErrorKind.WrongType, $"a message must be an object, not {Kind(m)}");
                continue;
            }

            string? role = null;
            if (!m.TryGetProperty(roleName, out var r) || r.ValueKind == JsonValueKind.Null)
            {
                ctx.Add($"{path}.{roleName}", DatasetErrorKind.MissingField, $"the message has no '{roleName}'");
            }
            else if (r.ValueKind != JsonValueKind.String)
            {
                ctx.Add($"{path}.{roleName}", DatasetErrorKind.WrongType, $"'{roleName}' must be a string, not {Kind(r)}");
            }
            else if ((role = mapRole(r.GetString()!)) is null)
            {
                ctx.Add($"{path}.{roleName}", DatasetErrorKind.UnknownRole, $"unknown {roleName} '{Clip(r.GetString()!)}'");
            }

            IReadOnlyList<CyLlm.ChatTemplates.ChatToolCall>? calls = null;
            JsonElement tc = default;
            bool hasCalls = toolTurns && m.TryGetProperty("tool_calls", out tc) && tc.ValueKind != JsonValueKind.Null;
            if (hasCalls)
            {
                if (role is not null and not "assistant")
                {
                    ctx.Add($"{path}.tool_calls", DatasetErrorKind.InvalidToolCall, "'tool_calls' is only allowed on assistant messages");
                }
                else
                {
                    calls = ParseToolCalls(tc, $"{path}.tool_calls", ctx, callIds);
                }
            }

            string? toolCallId = null;
            if (role == "tool")
            {
                toolCallId = ToolCallIdOf(m, path, ctx, callIds);
            }

            string? content = null;
            if (hasCalls && (!m.TryGetProperty(contentName, out var cc) || cc.ValueKind == JsonValueKind.Null))
            {
                content = ""; // OpenAI's shape: content null beside tool_calls
            }
            else if (!m.TryGetProperty(contentName, out var c) || c.ValueKind == JsonValueKind.Null)
            {
                ctx.Add($"{path}.{contentName}", DatasetErrorKind.MissingField, $"the message has no '{contentName}'");
            }
            else if (c.ValueKind != JsonValueKind.String)
            {
                ctx.Add($"{path}.{contentName}", DatasetErrorKind.WrongType, $"'{contentName}' must be a string, not {Kind(c)}");
            }
            else if (string.IsNullOrWhiteSpace(content = c.GetString()) && !hasCalls && role != "tool")
            {
                ctx.Add($"{path}.{contentName}", DatasetErrorKind.EmptyContent, $"'{contentName}' is empty");
            }

            bool train = true;
            if (m.TryGetProperty("weight", out var wgt))
            {
                if (role is not null and not "assistant")
                {
                    ctx.Add($"{path}.weight", DatasetErrorKind.InvalidWeight, "'weight' is only allowed on assistant messages");
                }
                else if (wgt.ValueKind != JsonValueKind.Number || !wgt.TryGetInt32(out int wv) || wv is not (0 or 1))
                {
                    ctx.Add($"{path}.weight", DatasetErrorKind.InvalidWeight, $"'weight' must be 0 or 1, not {Clip(wgt.GetRawText())}");
                }
                else
                {
                    train = wv == 1;
                }
            }

            if (role is not null && content is not null)
            {
                messages.Add(new TrainMessage(role, content, role == "assistant" && train) { ToolCalls = calls, ToolCallId = toolCallId });
            }
        }

        if (ctx.Errors.Count > before)
        {
            return null;
        }

        if (messages.Count == 0)
        {
            ctx.Add(listName, DatasetErrorKind.NoAssistantMessage, $"'{listName}' is empty");
            return null;
        }

        bool anyAssistant = false;
        bool anyTrained = false;
        foreach (var m in messages)
        {
            anyAssistant |= m.Role == "assistant";
            anyTrained |= m.Train;
        }

        if (!anyAssistant)
        {
            ctx.Add(listName, DatasetErrorKind.NoAssistantMessage, "the conversation has no assistant message");
            return null;
        }

        if (!anyTrained)
        {
            ctx.Add(listName, DatasetErrorKind.NoAssistantMessage, "every assistant message has weight 0: nothing to train on");
            return null;
        }

        if (messages[^1].Role != "assistant")
        {
            ctx.Add($"{listName}[{messages.Count - 1}]", DatasetErrorKind.NotEndingWithAssistant, $"the conversation ends with a {messages[^1].Role} message, not the assistant's");
            return null;
        }

        return new ParsedRow(schema, messages, null);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
