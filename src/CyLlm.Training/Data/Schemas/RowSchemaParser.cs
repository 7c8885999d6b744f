using System.Diagnostics;
using System.Text.Json;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data.Schemas;

/// <summary>
/// Checks a row against one schema and turns it into a <see cref="ParsedRow"/>, collecting every problem
/// (field path and reason) rather than stopping at the first.
/// </summary>
internal static partial class RowSchemaParser
{
    /// <summary>The schema a row's fields point to (messages, conversations, instruction/output, text in that order); null if none.</summary>
    public static DatasetSchema? Guess(RowView row)
    {
        if (row.Has("messages"))
        {
            return DatasetSchema.OpenAiChat;
        }

        if (row.Has("conversations"))
        {
            return DatasetSchema.ShareGpt;
        }

        if (row.Has("instruction") || row.Has("output"))
        {
            return DatasetSchema.Instruction;
        }

        return row.Has("text") ? DatasetSchema.Text : null;
    }

    /// <summary>The row as <paramref name="schema"/>; null with <paramref name="errors"/> filled when it does not conform.</summary>
    public static ParsedRow? Parse(DatasetSchema schema, RowView row, long? line, long? index, List<DatasetRowError> errors)
    {
        int before = errors.Count;
        var ctx = new Context(line, index, errors);
        ParsedRow? parsed = schema switch
        {
            DatasetSchema.OpenAiChat => ParseChat(row, ctx),
            DatasetSchema.ShareGpt => ParseShareGpt(row, ctx),
            DatasetSchema.Instruction => ParseInstruction(row, ctx),
            DatasetSchema.Text => ParseText(row, ctx),
            _ => throw new ArgumentOutOfRangeException(nameof(schema)),
        };
        Debug.Assert((parsed is null) == (errors.Count > before));
        return errors.Count > before ? null : parsed;
    }

    /// <summary>Where errors go for one row.</summary>
    private readonly record struct Context(long? Line, long? Index, List<DatasetRowError> Errors)
    {
        public void Add(string? field, DatasetErrorKind kind, string message) => Errors.Add(new DatasetRowError(Line, Index, field, kind, message));
    }

    private static ParsedRow? ParseText(RowView row, Context ctx)
    {
        string? text = RequiredString(row, "text", ctx, allowEmpty: false);
        return text is null ? null : new ParsedRow(DatasetSchema.Text, null, text);
    }

    private static ParsedRow? ParseInstruction(RowView row, Context ctx)
    {
        int before = ctx.Errors.Count;
        string? instruction = RequiredString(row, "instruction", ctx, allowEmpty: false);
        string? input = OptionalString(row, "input", ctx);
        string? output = RequiredString(row, "output", ctx, allowEmpty: false);
        if (ctx.Errors.Count > before)
        {
            return null;
        }

        string user = string.IsNullOrWhiteSpace(input) ? instruction! : instruction + "\n\n" + input;
        return new ParsedRow(DatasetSchema.Instruction, [new TrainMessage("user", user, false), new TrainMessage("assistant", output!, true)], null);
    }

    private static string? RequiredString(RowView row, string name, Context ctx, bool allowEmpty)
    {
        if (!row.TryGet(name, out var v))
        {
            ctx.Add(name, DatasetErrorKind.MissingField, $"the row has no '{name}' field");
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            ctx.Add(name, DatasetErrorKind.WrongType, $"'{name}' must be a string, not {Kind(v)}");
            return null;
        }

        string s = v.GetString()!;
        if (!allowEmpty && string.IsNullOrWhiteSpace(s))
        {
            ctx.Add(name, DatasetErrorKind.EmptyContent, $"'{name}' is empty");
            return null;
        }

        return s;
    }

    private static string? OptionalString(RowView row, string name, Context ctx)
    {
        if (!row.TryGet(name, out var v))
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            ctx.Add(name, DatasetErrorKind.WrongType, $"'{name}' must be a string, not {Kind(v)}");
            return null;
        }

        return v.GetString();
    }

    internal static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "missing",
    };
}
