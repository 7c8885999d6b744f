using System.Text;
using System.Text.Unicode;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// RFC 4180 CSV with a header row: comma-separated, fields optionally in double quotes (a quote inside written
/// twice), quoted fields may span lines, records end with '\n' or "\r\n". Parsed byte by byte over a
/// <see cref="ByteWindow"/>, so records are never limited by the buffer and a file is never held whole. A
/// malformed record (stray quote, wrong field count, bad UTF-8) is reported and the parser goes on with the
/// next record; only an unterminated quote at the end of the file swallows the rest.
/// </summary>
internal sealed class CsvRowSource : IRowSource
{
    private readonly Stream _stream;
    private readonly int _maxRowBytes;
    private TabularHeader? _header;
    private string? _headerError;

    public CsvRowSource(Stream stream, int maxRowBytes)
    {
        _stream = stream;
        _maxRowBytes = maxRowBytes;
    }

    public DatasetFormat Format => DatasetFormat.Csv;

    public bool HasLines => true;

    public bool CanStartAt(RowCheckpoint at) => true;

    /// <summary>The header's columns (read on first use).</summary>
    public TabularHeader? Header
    {
        get
        {
            EnsureHeader();
            return _header;
        }
    }

    public IEnumerable<RawRow> ReadFrom(RowCheckpoint start)
    {
        if (start.Offset != 0)
        {
            // Resuming: the header comes from the file's start, then the read jumps to the record.
            EnsureHeader();
        }

        if (start.Offset != 0 && _header is null)
        {
            yield return HeaderError(start);
            yield break;
        }

        StreamSeeking.SeekTo(_stream, start.Offset);
        using var w = new ByteWindow(_stream, start.Offset, _maxRowBytes);
        using var parser = new CsvRecordParser(w, _maxRowBytes);
        long line = start.Line;
        if (start.Offset == 0)
        {
            // From the start the header is read in the same pass (a non-seekable stream cannot go back).
            line = ReadHeader(w, parser);
            if (_header is null)
            {
                yield return HeaderError(start);
                yield break;
            }
        }

        long row = start.Row;
        var cells = new List<string?>();
        while (true)
        {
            var rec = parser.Next(line);
            if (rec is null)
            {
                yield break;
            }

            var r = rec.Value;
            var at = new RowCheckpoint(row, r.Offset, line);
            line += r.Newlines;
            if (r.IsBlank)
            {
                continue;
            }

            using (var raw = ToRow(r, parser, at, cells))
            {
                yield return raw;
            }

            row++;
            if (r.Unterminated)
            {
                yield break;
            }
        }
    }

    private RawRow HeaderError(RowCheckpoint at) =>
        new(at, null, new DatasetRowError(1, null, null, DatasetErrorKind.Unreadable, _headerError ?? "the CSV file has no header row"), fatal: true);

    private RawRow ToRow(CsvRecord r, CsvRecordParser parser, RowCheckpoint at, List<string?> cells)
    {
        if (r.Error is not null)
        {
            return new RawRow(at, null, new DatasetRowError(at.Line, null, null, r.ErrorKind, r.Error), fatal: r.Unterminated);
        }

        if (r.FieldCount != _header!.Names.Count)
        {
            return new RawRow(at, null, new DatasetRowError(at.Line, null, null, DatasetErrorKind.InvalidCsv,
                $"expected {_header.Names.Count} fields (the header's), found {r.FieldCount}"));
        }

        cells.Clear();
        for (int i = 0; i < r.FieldCount; i++)
        {
            var bytes = parser.Field(i);
            if (!Utf8.IsValid(bytes))
            {
                return new RawRow(at, null, new DatasetRowError(at.Line, null, _header.Names[i], DatasetErrorKind.InvalidUtf8, "the field is not valid UTF-8"));
            }

            cells.Add(Encoding.UTF8.GetString(bytes));
        }

        return new RawRow(at, new RowView(_header, [.. cells]), null);
    }

    private void EnsureHeader()
    {
        if (_header is not null || _headerError is not null)
        {
            return;
        }

        StreamSeeking.SeekTo(_stream, 0);
        using var w = new ByteWindow(_stream, 0, _maxRowBytes);
        using var parser = new CsvRecordParser(w, _maxRowBytes);
        ReadHeader(w, parser);
    }

    /// <summary>Reads the header at the window's start (after a BOM and blank lines); returns the next line number.</summary>
    private long ReadHeader(ByteWindow w, CsvRecordParser parser)
    {
        while (w.Count < 3 && w.Fill())
        {
        }

        if (w.Unread.StartsWith(JsonLinesRowSource.Utf8Bom))
        {
            w.Start += 3;
        }

        CsvRecord? rec;
        long line = 1;
        while ((rec = parser.Next(line)) is { IsBlank: true } blank)
        {
            line += blank.Newlines;
        }

        if (rec is null)
        {
            _headerError = "the CSV file is empty (no header row)";
            return line;
        }

        if (rec.Value.Error is { } e)
        {
            _headerError = "the header row is malformed: " + e;
            return line;
        }

        var names = new string[rec.Value.FieldCount];
        for (int i = 0; i < names.Length; i++)
        {
            var bytes = parser.Field(i);
            if (!Utf8.IsValid(bytes))
            {
                _headerError = "the header row is not valid UTF-8";
                return line;
            }

            names[i] = Encoding.UTF8.GetString(bytes).Trim();
        }

        _header = new TabularHeader(names);
        return line + rec.Value.Newlines;
    }

    public void Dispose()
    {
        _stream.Dispose();
    }
}
