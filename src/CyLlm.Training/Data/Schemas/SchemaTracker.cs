using System.Diagnostics;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data.Schemas;

/// <summary>
/// Decides a file's schema from its first valid row and checks every row against it. Rows before the first
/// valid one are held (their errors under each of the four schemas, never their content) and reported once the
/// schema is known; if no row is valid within <see cref="MaxPending"/> rows, or at all, the schema the first
/// recognisable row's fields point to is taken.
/// </summary>
internal sealed class SchemaTracker
{
    internal const int MaxPending = 10_000;

    private static readonly DatasetSchema[] All = [DatasetSchema.OpenAiChat, DatasetSchema.ShareGpt, DatasetSchema.Instruction, DatasetSchema.Text];

    private readonly List<PendingRow> _pending = [];
    private readonly List<DatasetRowError> _scratch = [];
    private DatasetSchema? _firstGuess;

    public SchemaTracker(DatasetSchema? schema = null)
    {
        Schema = schema;
    }

    public DatasetSchema? Schema { get; private set; }

    /// <summary>Errors of held rows, for the caller to report, in file order, once the schema is decided.</summary>
    public List<DatasetRowError> Released { get; } = [];

    private sealed record PendingRow(List<DatasetRowError>[] ErrorsBySchema, List<DatasetRowError>? NoSchemaErrors);

    /// <summary>
    /// Checks a row. Returns the parsed row when it is valid; otherwise null, with its errors either appended to
    /// <paramref name="errors"/> (schema known) or held. Held rows' errors appear in <see cref="Released"/>.
    /// </summary>
    public ParsedRow? Check(RowView row, long? line, long? index, List<DatasetRowError> errors)
    {
        var guess = RowSchemaParser.Guess(row);
        _firstGuess ??= guess;
        if (Schema is { } schema)
        {
            return CheckAs(schema, guess, row, line, index, errors);
        }

        // Schema unknown: a row valid under the schema its fields point to decides it.
        if (guess is { } g)
        {
            _scratch.Clear();
            var parsed = CheckAs(g, guess, row, line, index, _scratch);
            if (parsed is not null)
            {
                Decide(g);
                return parsed;
            }
        }

        var bySchema = new List<DatasetRowError>[All.Length];
        for (int s = 0; s < All.Length; s++)
        {
            bySchema[s] = [];
            CheckAs(All[s], guess, row, line, index, bySchema[s]);
        }

        List<DatasetRowError>? none = guess is null
            ? [new DatasetRowError(line, index, null, DatasetErrorKind.UnknownSchema, "the row matches no dataset schema: expected 'messages', 'conversations', 'instruction'/'output' or 'text'")]
            : null;
        _pending.Add(new PendingRow(bySchema, none));
        if (_pending.Count >= MaxPending)
        {
            Finish();
        }

        return null;
    }

    /// <summary>At the end of the file: decides the schema if no row was valid and releases the held rows.</summary>
    public void Finish()
    {
        if (Schema is null && _pending.Count > 0)
        {
            Decide(_firstGuess);
        }
    }

    private void Decide(DatasetSchema? schema)
    {
        Debug.Assert(Schema is null);
        Schema = schema;
        foreach (var p in _pending)
        {
            Released.AddRange(schema is { } s ? p.ErrorsBySchema[Array.IndexOf(All, s)] : p.NoSchemaErrors ?? p.ErrorsBySchema[0]);
        }

        _pending.Clear();
    }

    private static ParsedRow? CheckAs(DatasetSchema schema, DatasetSchema? guess, RowView row, long? line, long? index, List<DatasetRowError> errors)
    {
        if (guess is { } g && g != schema && !HasKey(schema, row))
        {
            errors.Add(new DatasetRowError(line, index, null, DatasetErrorKind.SchemaMismatch,
                $"the row is {Name(g)} but the file is {Name(schema)} (from its first valid row)"));
            return null;
        }

        return RowSchemaParser.Parse(schema, row, line, index, errors);
    }

    private static bool HasKey(DatasetSchema schema, RowView row) => schema switch
    {
        DatasetSchema.OpenAiChat => row.Has("messages"),
        DatasetSchema.ShareGpt => row.Has("conversations"),
        DatasetSchema.Instruction => row.Has("instruction") || row.Has("output"),
        _ => row.Has("text"),
    };

    internal static string Name(DatasetSchema s) => s switch
    {
        DatasetSchema.OpenAiChat => "OpenAI chat ('messages')",
        DatasetSchema.ShareGpt => "ShareGPT ('conversations')",
        DatasetSchema.Instruction => "instruction ('instruction'/'input'/'output')",
        _ => "plain text ('text')",
    };
}
