using CyLlm.ChatTemplates;
using CyLlm.Training.Data.Schemas;
using CyLlm.Training.Data.Sources;

namespace CyLlm.Training.Data;

/// <summary>
/// Validates a dataset file in one streaming pass (never holding it whole): detects its format from its
/// bytes and its schema from its first valid row, reports every bad row with its location, field and reason,
/// and, with a <see cref="TrainingRenderer"/>, counts tokens after the chat template and the rows the sequence
/// limit truncates.
/// </summary>
public static class DatasetValidator
{
    /// <summary>Validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static DatasetValidationReport ValidateFile(string path, TrainingRenderer? renderer = null, DatasetValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"dataset file not found: {path}", path);
        }

        return Validate(OpenRead(path), renderer, options, cancellationToken);
    }

    /// <summary>Validates a dataset read from <paramref name="stream"/> (which it disposes); non-seekable streams work.</summary>
    public static DatasetValidationReport Validate(Stream stream, TrainingRenderer? renderer = null, DatasetValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options = (options ?? new DatasetValidationOptions()).Checked();
        using var source = DatasetFormatDetector.Open(stream, options.MaxRowBytes);
        return Run(source, renderer, options, null, cancellationToken);
    }

    internal static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    /// <summary>
    /// The pass itself. <paramref name="onRow"/> sees every row's checkpoint in file order (the reader's index
    /// uses it to find block starts).
    /// </summary>
    internal static DatasetValidationReport Run(IRowSource source, TrainingRenderer? renderer, DatasetValidationOptions options, Action<RowCheckpoint>? onRow, CancellationToken cancellationToken)
    {
        var acc = new ReportBuilder(options);
        var tracker = new SchemaTracker();
        var rowErrors = new List<DatasetRowError>();
        bool incomplete = false;
        foreach (var raw in source.ReadFrom(RowCheckpoint.Start))
        {
            cancellationToken.ThrowIfCancellationRequested();
            long? line = source.HasLines ? raw.At.Line : null;
            long? index = source.Format is DatasetFormat.JsonArray or DatasetFormat.Parquet ? raw.At.Row : null;
            if (raw.Fatal)
            {
                incomplete = true;
                tracker.Finish();
                acc.AddErrors(tracker.Released);
                tracker.Released.Clear();
                acc.AddErrors([raw.Error!]);

                // A fatal error at a row's start (e.g. an unreadable element) is that row; one at the end is not.
                if (raw.Error!.Kind != DatasetErrorKind.Unreadable)
                {
                    acc.Rows++;
                }

                break;
            }

            onRow?.Invoke(raw.At);
            acc.Rows++;
            if (raw.Error is { } e)
            {
                acc.AddErrors([e]);
                continue;
            }

            var view = raw.View!;
            acc.CountGuess(RowSchemaParser.Guess(view));
            rowErrors.Clear();
            var parsed = tracker.Check(view, line, index, rowErrors);
            if (tracker.Released.Count > 0)
            {
                acc.AddErrors(tracker.Released);
                tracker.Released.Clear();
            }

            if (parsed is null)
            {
                acc.AddErrors(rowErrors);
                continue;
            }

            if (renderer is null)
            {
                acc.ValidRows++;
                continue;
            }

            RenderedRow rendered;
            try
            {
                rendered = renderer.Render(parsed, options.MaxSequenceLength);
            }
            catch (ChatTemplateException ex)
            {
                acc.AddErrors([new DatasetRowError(line, index, null, DatasetErrorKind.TemplateError, "the chat template rejected the conversation: " + ex.Message)]);
                continue;
            }

            acc.ValidRows++;
            acc.AddRendered(rendered);
        }

        tracker.Finish();
        acc.AddErrors(tracker.Released);
        tracker.Released.Clear();
        return acc.Build(source.Format, tracker.Schema, incomplete);
    }
}
