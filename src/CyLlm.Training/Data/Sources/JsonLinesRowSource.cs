using System.Text.Json;
using System.Text.Unicode;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// JSON Lines: one object per line ('\n' or "\r\n"); blank lines are skipped and are not rows. Each line is
/// checked for UTF-8 and parsed on its own, so a bad line never hides the next one.
/// </summary>
internal sealed class JsonLinesRowSource : IRowSource
{
    internal static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private readonly Stream _stream;
    private readonly int _maxRowBytes;

    public JsonLinesRowSource(Stream stream, int maxRowBytes)
    {
        _stream = stream;
        _maxRowBytes = maxRowBytes;
    }

    public DatasetFormat Format => DatasetFormat.JsonLines;

    public bool HasLines => true;

    public bool CanStartAt(RowCheckpoint at) => true;

    public IEnumerable<RawRow> ReadFrom(RowCheckpoint start)
    {
        StreamSeeking.SeekTo(_stream, start.Offset);
        using var w = new ByteWindow(_stream, start.Offset, _maxRowBytes);
        long line = start.Line;
        long row = start.Row;
        bool first = start.Offset == 0;
        while (true)
        {
            int nl = w.Unread.IndexOf((byte)'\n');
            while (nl < 0 && w.Fill())
            {
                nl = w.Unread.IndexOf((byte)'\n');
            }

            if (nl < 0 && w.Full)
            {
                // A line longer than the limit: report it and skip to its end without holding it.
                long at = w.OffsetOf(w.Start);
                w.DiscardUnread();
                while (true)
                {
                    if (!w.Fill())
                    {
                        break;
                    }

                    int e = w.Unread.IndexOf((byte)'\n');
                    if (e >= 0)
                    {
                        w.Start += e + 1;
                        break;
                    }

                    w.DiscardUnread();
                }

                yield return new RawRow(new RowCheckpoint(row, at, line), null,
                    new DatasetRowError(line, null, null, DatasetErrorKind.RowTooLarge, $"the line is longer than {_maxRowBytes} bytes"));
                row++;
                line++;
                continue;
            }

            if (nl < 0 && w.Count == 0)
            {
                yield break;
            }

            int len = nl < 0 ? w.Count : nl;
            int lineStart = w.Start;
            long offset = w.OffsetOf(lineStart);
            w.Start += nl < 0 ? len : len + 1;
            var bytes = new ReadOnlyMemory<byte>(w.Buffer, lineStart, len);
            if (first)
            {
                first = false;
                if (bytes.Span.StartsWith(Utf8Bom))
                {
                    bytes = bytes[3..];
                }
            }

            if (bytes.Span.EndsWith("\r"u8))
            {
                bytes = bytes[..^1];
            }

            if (IsBlank(bytes.Span))
            {
                line++;
                continue;
            }

            using (var parsed = ParseLine(bytes, new RowCheckpoint(row, offset, line)))
            {
                yield return parsed;
            }

            row++;
            line++;
        }
    }

    private static RawRow ParseLine(ReadOnlyMemory<byte> bytes, RowCheckpoint at)
    {
        if (!Utf8.IsValid(bytes.Span))
        {
            return new RawRow(at, null, new DatasetRowError(at.Line, null, null, DatasetErrorKind.InvalidUtf8, "the line is not valid UTF-8"));
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            return new RawRow(at, null, new DatasetRowError(at.Line, null, null, DatasetErrorKind.InvalidJson, "invalid JSON: " + JsonErrors.Describe(e)));
        }

        return JsonRows.FromDocument(doc, at, at.Line, null);
    }

    internal static bool IsBlank(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        _stream.Dispose();
    }
}
