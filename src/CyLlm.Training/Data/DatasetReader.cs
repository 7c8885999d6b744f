using System.Diagnostics;
using CyLlm.ChatTemplates;
using CyLlm.Training.Data.Schemas;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data;

/// <summary>
/// Streams a dataset file as <see cref="TrainingExample"/>s for the trainer, resumable mid-epoch and with a
/// deterministic shuffle. A first pass (<see cref="Prepare"/>, run on first use) finds the schema and, every
/// <see cref="DatasetReaderOptions.BlockRows"/> rows, a checkpoint (byte offset and line, or Parquet row
/// group) to seek to. An epoch's order is a seeded permutation of those blocks and of the rows inside each,
/// so any <see cref="DatasetPosition"/> maps back to a block and a row without replaying the epoch. Invalid
/// rows, rows the template rejects and rows left without targets by truncation are skipped (counted in
/// <see cref="SkippedRows"/>); validate first with <see cref="DatasetValidator"/> to report them.
/// </summary>
public sealed class DatasetReader
{
    private readonly string _path;
    private readonly TrainingRenderer _renderer;
    private readonly DatasetReaderOptions _options;
    private List<Block>? _blocks;

    /// <summary>A run of consecutive rows starting at <paramref name="Start"/>.</summary>
    private readonly record struct Block(RowCheckpoint Start, int Count);

    public DatasetReader(string path, TrainingRenderer renderer, DatasetReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(renderer);
        _path = path;
        _renderer = renderer;
        _options = options ?? new DatasetReaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BlockRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxSequenceLength, 2);
    }

    /// <summary>The file's schema (after <see cref="Prepare"/>); null when no row is valid.</summary>
    public DatasetSchema? Schema { get; private set; }

    public DatasetFormat Format { get; private set; }

    /// <summary>Rows in the file, valid or not (after <see cref="Prepare"/>).</summary>
    public long RowCount { get; private set; }

    /// <summary>The position after the last example yielded.</summary>
    public DatasetPosition Position { get; private set; } = DatasetPosition.Start;

    /// <summary>Rows passed over without an example since this reader was made.</summary>
    public long SkippedRows { get; private set; }

    /// <summary>Runs the indexing pass (structure only, no tokenization); returns its report.</summary>
    public DatasetValidationReport Prepare(CancellationToken cancellationToken = default)
    {
        var blocks = new List<Block>();
        RowCheckpoint? start = null;
        int count = 0;
        var validation = new DatasetValidationOptions { MaxSequenceLength = _options.MaxSequenceLength, MaxRowBytes = _options.MaxRowBytes, MaxStoredErrors = 100 };
        using var source = DatasetFormatDetector.Open(DatasetValidator.OpenRead(_path), _options.MaxRowBytes);
        var report = DatasetValidator.Run(source, null, validation, at =>
        {
            if (start is null || (count >= _options.BlockRows && source.CanStartAt(at)))
            {
                if (start is { } s)
                {
                    blocks.Add(new Block(s, count));
                }

                start = at;
                count = 0;
            }

            count++;
        }, cancellationToken);
        if (start is { } last)
        {
            blocks.Add(new Block(last, count));
        }

        Format = report.Format;
        Schema = report.Schema;
        RowCount = report.Rows;
        _blocks = blocks;
        return report;
    }

    /// <summary>Examples from <paramref name="start"/> to the end of its epoch; <see cref="Position"/> follows.</summary>
    public IEnumerable<TrainingExample> ReadEpoch(DatasetPosition start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (_blocks is null)
        {
            Prepare(cancellationToken);
        }

        Position = start;
        return ReadEpochCore(start, cancellationToken);
    }

    /// <summary>Examples from <paramref name="start"/> on, epoch after epoch, without end (the caller stops).</summary>
    public IEnumerable<TrainingExample> Read(DatasetPosition start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        var pos = start;
        while (true)
        {
            bool any = false;
            foreach (var ex in ReadEpoch(pos, cancellationToken))
            {
                any = true;
                yield return ex;
            }

            if (!any && pos.Row == 0)
            {
                // An epoch without a single example: reading on would spin forever.
                yield break;
            }

            pos = new DatasetPosition(pos.Epoch + 1, 0);
        }
    }

    private IEnumerable<TrainingExample> ReadEpochCore(DatasetPosition start, CancellationToken cancellationToken)
    {
        Debug.Assert(_blocks is not null);
        var blocks = _blocks;
        if (Schema is not { } schema || blocks.Count == 0)
        {
            Position = new DatasetPosition(start.Epoch + 1, 0);
            yield break;
        }

        ulong? seed = _options.ShuffleSeed;
        int[] order = seed is { } s0 ? SplitMix64.For(s0, start.Epoch).Permutation(blocks.Count) : Identity(blocks.Count);
        using var source = DatasetFormatDetector.Open(DatasetValidator.OpenRead(_path), _options.MaxRowBytes);
        var tracker = new SchemaTracker(schema);
        var errors = new List<DatasetRowError>();
        long consumed = 0;
        foreach (int b in order)
        {
            var block = blocks[b];
            if (consumed + block.Count <= start.Row)
            {
                consumed += block.Count;
                continue;
            }

            // Load the block (rows in file order), then visit them in the epoch's order for it.
            var rows = new (ParsedRow? Row, long SourceLine)[block.Count];
            int n = 0;
            foreach (var raw in source.ReadFrom(block.Start))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (n == block.Count || raw.Fatal)
                {
                    break;
                }

                long sourceLine = source.HasLines && source.Format != DatasetFormat.JsonArray ? raw.At.Line : raw.At.Row;
                errors.Clear();
                rows[n++] = (raw.View is { } view ? tracker.Check(view, null, null, errors) : null, sourceLine);
            }

            int[] inner = seed is { } s1 ? SplitMix64.For(s1, start.Epoch, b + 1).Permutation(block.Count) : Identity(block.Count);
            for (int k = (int)Math.Max(0, start.Row - consumed); k < block.Count; k++)
            {
                var (row, line) = rows[inner[k]];
                long rowInOrder = consumed + k;
                var examples = row is null ? null : Render(row, line);
                if (examples is null || examples.Count == 0)
                {
                    SkippedRows++;
                    continue;
                }

                // Windows of this row already yielded before a resume are not yielded again.
                int firstWindow = rowInOrder == start.Row ? Math.Min(start.Window, examples.Count) : 0;
                for (int w = firstWindow; w < examples.Count; w++)
                {
                    Position = w + 1 < examples.Count
                        ? new DatasetPosition(start.Epoch, rowInOrder, w + 1)
                        : new DatasetPosition(start.Epoch, rowInOrder + 1);
                    yield return examples[w];
                }
            }

            consumed += block.Count;
        }

        Position = new DatasetPosition(start.Epoch + 1, 0);
    }

    /// <summary>
    /// The row's examples: one, cut to the sequence limit, for a conversation; for plain text with
    /// <see cref="DatasetReaderOptions.SplitLongText"/>, consecutive windows of at most the limit (the last one
    /// dropped when it holds no target). Null when the row yields nothing.
    /// </summary>
    private List<TrainingExample>? Render(ParsedRow row, long sourceLine)
    {
        bool split = _options.SplitLongText && row.Schema == DatasetSchema.Text;
        RenderedRow r;
        try
        {
            r = _renderer.Render(row, split ? int.MaxValue : _options.MaxSequenceLength);
        }
        catch (ChatTemplateException)
        {
            return null;
        }

        int max = _options.MaxSequenceLength;
        if (!split || r.Tokens.Length <= max)
        {
            return r.Targets == 0 ? null : [new TrainingExample(r.Tokens, r.LossMask, sourceLine)];
        }

        var windows = new List<TrainingExample>(r.Tokens.Length / max + 1);
        for (int start = 0; start < r.Tokens.Length; start += max)
        {
            int end = Math.Min(start + max, r.Tokens.Length);
            if (end - start < 2)
            {
                break;
            }

            windows.Add(new TrainingExample(r.Tokens[start..end], r.LossMask[start..end], sourceLine));
        }

        return windows;
    }

    private static int[] Identity(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++)
        {
            p[i] = i;
        }

        return p;
    }
}
