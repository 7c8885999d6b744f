using Parquet;
using Parquet.Schema;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// Parquet with flat columns: the dataset's fields (messages, conversations, instruction, input, output, text)
/// must be top-level string columns, nested data as JSON text (as a CSV cell would hold it). Row groups are
/// read one at a time (only the known columns), so memory is bounded by the largest row group. Rows are
/// located by 0-based row index; a checkpoint's Offset is its row group and Line its row inside the group.
/// Parquet.Net is async; this reader blocks on it (no synchronisation context in the trainer or jobs).
/// </summary>
internal sealed class ParquetRowSource : IRowSource
{
    /// <summary>Column names the schemas read; other columns are ignored.</summary>
    internal static readonly string[] KnownColumns = ["messages", "conversations", "instruction", "input", "output", "text"];

    private readonly Stream _stream;

    public ParquetRowSource(Stream stream)
    {
        _stream = stream;
    }

    public DatasetFormat Format => DatasetFormat.Parquet;

    public bool HasLines => false;

    public bool CanStartAt(RowCheckpoint at) => at.Line == 0;

    public IEnumerable<RawRow> ReadFrom(RowCheckpoint start)
    {
        if (!_stream.CanSeek)
        {
            yield return Fatal(start, "a Parquet dataset must be a seekable file");
            yield break;
        }

        ParquetReader reader;
        string? openError = null;
        try
        {
            reader = ParquetReader.CreateAsync(_stream, null, leaveStreamOpen: true).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reader = null!;
            openError = "not a readable Parquet file: " + e.Message;
        }

        if (openError is not null)
        {
            yield return Fatal(start, openError);
            yield break;
        }

        try
        {
            var fields = new List<DataField>();
            foreach (var f in reader.Schema.Fields)
            {
                if (Array.IndexOf(KnownColumns, f.Name.ToLowerInvariant()) < 0)
                {
                    continue;
                }

                if (f is not DataField df || df.MaxRepetitionLevel > 0 || !IsText(df.ClrType))
                {
                    yield return Fatal(start, $"column '{f.Name}' is {Describe(f)}; dataset columns must be flat strings (nested data as JSON text)");
                    yield break;
                }

                fields.Add(df);
            }

            var header = new TabularHeader([.. fields.Select(f => f.Name)]);
            long row = start.Row;
            for (int g = (int)start.Offset; g < reader.RowGroupCount; g++)
            {
                string?[][] columns;
                long count;
                using (var rg = reader.OpenRowGroupReader(g))
                {
                    count = rg.RowCount;
                    columns = new string?[fields.Count][];
                    for (int c = 0; c < fields.Count; c++)
                    {
                        var values = new string?[count];
                        rg.ReadAsync(fields[c], values.AsMemory(), null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                        columns[c] = values;
                    }
                }

                // RowCheckpoint.Start (row 0) says line 1; for Parquet only recorded checkpoints carry a row-in-group.
                long first = g == start.Offset && start.Row > 0 ? start.Line : 0;
                for (long i = first; i < count; i++)
                {
                    var cells = new string?[fields.Count];
                    for (int c = 0; c < cells.Length; c++)
                    {
                        cells[c] = columns[c][i];
                    }

                    using (var raw = new RawRow(new RowCheckpoint(row, g, i), new RowView(header, cells), null))
                    {
                        yield return raw;
                    }

                    row++;
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    // Parquet.Net 6 reports UTF-8 (and binary) columns as ReadOnlyMemory<char>/<byte> rather than string.
    private static bool IsText(Type t) => t == typeof(string) || t == typeof(ReadOnlyMemory<char>) || t == typeof(ReadOnlyMemory<byte>);

    private static string Describe(Field f) => f switch
    {
        DataField { MaxRepetitionLevel: > 0 } => "a repeated (list) column",
        DataField df => "of type " + df.ClrType.Name,
        _ => "a nested " + f.SchemaType.ToString().ToLowerInvariant() + " column",
    };

    private static RawRow Fatal(RowCheckpoint at, string message) =>
        new(at, null, new DatasetRowError(null, at.Row, null, DatasetErrorKind.Unreadable, message), fatal: true);

    public void Dispose()
    {
        _stream.Dispose();
    }
}
