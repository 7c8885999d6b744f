using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Training.Data;

/// <summary>
/// The result of validating one dataset file; the fine-tuning job stores it as JSON (<see cref="ToJson"/>).
/// Token counts are 0 when the validation ran without a tokenizer.
/// </summary>
public sealed record DatasetValidationReport
{
    [JsonConverter(typeof(JsonStringEnumConverter<DatasetFormat>))]
    public required DatasetFormat Format { get; init; }

    /// <summary>The file's schema (from its first valid row); null when no row was valid.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<DatasetSchema>))]
    public DatasetSchema? Schema { get; init; }

    /// <summary>Rows read (valid and invalid; blank JSONL/CSV lines are not rows).</summary>
    public long Rows { get; init; }

    public long ValidRows { get; init; }

    public long InvalidRows => Rows - ValidRows;

    /// <summary>Tokens of the valid rows after the chat template (BOS/EOS included), before truncation.</summary>
    public long Tokens { get; init; }

    /// <summary>Tokens left after truncating each row to <see cref="MaxSequenceLength"/>.</summary>
    public long TrainedTokens { get; init; }

    /// <summary>Of <see cref="TrainedTokens"/>, those the loss counts (assistant tokens; all tokens for text).</summary>
    public long LossTokens { get; init; }

    /// <summary>Valid rows longer than <see cref="MaxSequenceLength"/> tokens: conversations are cut when training,
    /// plain text is split into windows by <see cref="DatasetReader"/> (<see cref="DatasetReaderOptions.SplitLongText"/>).</summary>
    public long TruncatedRows { get; init; }

    /// <summary>Truncated rows that keep no target token at all (the trainer skips them).</summary>
    public long RowsWithoutTargets { get; init; }

    /// <summary>The longest valid row in tokens, before truncation.</summary>
    public long MaxRowTokens { get; init; }

    public int MaxSequenceLength { get; init; }

    /// <summary>Rows by the schema their fields look like (e.g. a stray ShareGPT row in a chat file counts there).</summary>
    public IReadOnlyDictionary<string, long> RowsBySchema { get; init; } = new Dictionary<string, long>();

    /// <summary>The first <see cref="DatasetValidationOptions.MaxStoredErrors"/> errors, in file order.</summary>
    public IReadOnlyList<DatasetRowError> Errors { get; init; } = [];

    /// <summary>All errors found, stored or not.</summary>
    public long ErrorCount { get; init; }

    /// <summary>True when the file could not be read to its end (the last error says why).</summary>
    public bool Incomplete { get; init; }

    /// <summary>Usable for training: read to the end, at least one valid row, no invalid row.</summary>
    public bool IsValid => !Incomplete && ValidRows > 0 && ErrorCount == 0;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static DatasetValidationReport FromJson(string json) =>
        JsonSerializer.Deserialize<DatasetValidationReport>(json, JsonOptions)
        ?? throw new JsonException("the validation report is null");
}
