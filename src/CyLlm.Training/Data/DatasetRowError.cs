using System.Text.Json.Serialization;

namespace CyLlm.Training.Data;

/// <summary>
/// One rejected row. <paramref name="Line"/> is the 1-based line where the row starts (JSONL, CSV and JSON
/// arrays; null for Parquet); <paramref name="Row"/> is the 0-based element index (JSON arrays) or row index
/// (Parquet), null for line formats. <paramref name="Field"/> names the offending field as a path
/// (e.g. <c>messages[2].content</c>), null when the whole row is at fault.
/// </summary>
public sealed record DatasetRowError(
    long? Line,
    long? Row,
    string? Field,
    [property: JsonConverter(typeof(JsonStringEnumConverter<DatasetErrorKind>))] DatasetErrorKind Kind,
    string Message)
{
    /// <summary>One line for a CLI or a log: "line 12, messages[1].role: unknown role 'bot' (UnknownRole)".</summary>
    public override string ToString()
    {
        string where = Line is { } l ? $"line {l}" : Row is { } r ? $"row {r}" : "file";
        if (Line is not null && Row is { } ri)
        {
            where += $" (element {ri})";
        }

        return Field is null ? $"{where}: {Message} ({Kind})" : $"{where}, {Field}: {Message} ({Kind})";
    }
}
