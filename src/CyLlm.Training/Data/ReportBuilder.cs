using CyLlm.Training.Data.Schemas;

namespace CyLlm.Training.Data;

/// <summary>The running totals of one validation pass.</summary>
internal sealed class ReportBuilder
{
    private readonly DatasetValidationOptions _options;
    private readonly List<DatasetRowError> _errors = [];

    // Rows by guessed schema: index = (int)DatasetSchema, the last slot for rows that match none.
    private readonly long[] _bySchema = new long[5];

    public ReportBuilder(DatasetValidationOptions options)
    {
        _options = options;
    }

    public long Rows { get; set; }

    public long ValidRows { get; set; }

    private long _errorCount;
    private long _tokens;
    private long _trained;
    private long _loss;
    private long _truncated;
    private long _noTargets;
    private long _maxRow;

    public void AddErrors(List<DatasetRowError> errors)
    {
        foreach (var e in errors)
        {
            _errorCount++;
            if (_errors.Count < _options.MaxStoredErrors)
            {
                _errors.Add(e);
            }
        }
    }

    public void CountGuess(DatasetSchema? guess) => _bySchema[guess is { } g ? (int)g : 4]++;

    public void AddRendered(RenderedRow r)
    {
        _tokens += r.FullLength;
        _trained += r.Tokens.Length;
        _loss += r.Targets;
        _maxRow = Math.Max(_maxRow, r.FullLength);
        if (r.Truncated)
        {
            _truncated++;
            if (r.Targets == 0)
            {
                _noTargets++;
            }
        }
    }

    public DatasetValidationReport Build(DatasetFormat format, DatasetSchema? schema, bool incomplete)
    {
        var bySchema = new Dictionary<string, long>();
        for (int i = 0; i < _bySchema.Length; i++)
        {
            if (_bySchema[i] > 0)
            {
                bySchema[i < 4 ? ((DatasetSchema)i).ToString() : "Unknown"] = _bySchema[i];
            }
        }

        return new DatasetValidationReport
        {
            Format = format,
            Schema = schema,
            Rows = Rows,
            ValidRows = ValidRows,
            Tokens = _tokens,
            TrainedTokens = _trained,
            LossTokens = _loss,
            TruncatedRows = _truncated,
            RowsWithoutTargets = _noTargets,
            MaxRowTokens = _maxRow,
            MaxSequenceLength = _options.MaxSequenceLength,
            RowsBySchema = bySchema,
            Errors = _errors,
            ErrorCount = _errorCount,
            Incomplete = incomplete,
        };
    }
}
