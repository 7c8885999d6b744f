using System.Text.Json;
using System.Text.Unicode;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// A top-level JSON array of row objects, read element by element: each element is delimited with
/// Utf8JsonReader.TrySkip over a <see cref="ByteWindow"/> and parsed on its own, so only one element is in
/// memory at a time. Rows are located by element index and the line the element starts on. A syntax error
/// between or inside elements ends the read (JSON cannot be resynchronised), reported as a fatal row.
/// </summary>
internal sealed class JsonArrayRowSource : IRowSource
{
    private readonly Stream _stream;
    private readonly int _maxRowBytes;

    public JsonArrayRowSource(Stream stream, int maxRowBytes)
    {
        _stream = stream;
        _maxRowBytes = maxRowBytes;
    }

    public DatasetFormat Format => DatasetFormat.JsonArray;

    public bool HasLines => true;

    public bool CanStartAt(RowCheckpoint at) => true;

    public IEnumerable<RawRow> ReadFrom(RowCheckpoint start)
    {
        StreamSeeking.SeekTo(_stream, start.Offset);
        using var w = new ByteWindow(_stream, start.Offset, _maxRowBytes);
        long line = start.Line;
        long row = start.Row;
        if (start.Offset == 0)
        {
            // Skip a BOM and whitespace, then the opening bracket.
            if (!Ensure(w, 3))
            {
                yield return Fatal(row, line, "the file is empty");
                yield break;
            }

            if (w.Unread.StartsWith(JsonLinesRowSource.Utf8Bom))
            {
                w.Start += 3;
            }

            line += SkipSpace(w);
            if (w.Count == 0 || w.Buffer[w.Start] != (byte)'[')
            {
                yield return Fatal(row, line, "expected '[' at the start of a JSON array");
                yield break;
            }

            w.Start++;
            line += SkipSpace(w);
            if (w.Count > 0 && w.Buffer[w.Start] == (byte)']')
            {
                yield break;
            }
        }

        while (true)
        {
            line += SkipSpace(w);
            if (w.Count == 0)
            {
                yield return Fatal(row, line, "unexpected end of file: the JSON array is not closed with ']'");
                yield break;
            }

            long offset = w.OffsetOf(w.Start);
            int length = 0;
            string? error = null;
            DatasetErrorKind kind = DatasetErrorKind.InvalidJson;
            while (true)
            {
                var (ok, consumed, message) = Delimit(w.Unread, w.Eof);
                if (message is not null)
                {
                    error = message;
                    kind = Utf8.IsValid(w.Unread) ? DatasetErrorKind.InvalidJson : DatasetErrorKind.InvalidUtf8;
                    break;
                }

                if (ok)
                {
                    length = consumed;
                    break;
                }

                if (!w.Fill())
                {
                    if (w.Full)
                    {
                        error = $"the element is longer than {_maxRowBytes} bytes";
                        kind = DatasetErrorKind.RowTooLarge;
                    }
                    else
                    {
                        error = "unexpected end of file inside an element";
                    }

                    break;
                }
            }

            if (error is not null)
            {
                yield return new RawRow(new RowCheckpoint(row, offset, line), null,
                    new DatasetRowError(line, row, null, kind, error + "; the rest of the array cannot be read"), fatal: true);
                yield break;
            }

            var bytes = new ReadOnlyMemory<byte>(w.Buffer, w.Start, length);
            long elementLine = line;
            line += bytes.Span.Count((byte)'\n');
            w.Start += length;
            using (var parsed = Parse(bytes, new RowCheckpoint(row, offset, elementLine)))
            {
                yield return parsed;
            }

            row++;
            line += SkipSpace(w);
            if (w.Count == 0)
            {
                yield return Fatal(row, line, "unexpected end of file: the JSON array is not closed with ']'");
                yield break;
            }

            byte next = w.Buffer[w.Start];
            w.Start++;
            if (next == (byte)']')
            {
                yield break;
            }

            if (next != (byte)',')
            {
                yield return Fatal(row, line, $"expected ',' or ']' after element {row - 1}, found '{(char)next}'");
                yield break;
            }
        }
    }

    private static RawRow Parse(ReadOnlyMemory<byte> bytes, RowCheckpoint at)
    {
        try
        {
            return JsonRows.FromDocument(JsonDocument.Parse(bytes), at, at.Line, at.Row);
        }
        catch (JsonException e)
        {
            // Delimiting already checked the syntax; this is a limit the document parser adds (e.g. nesting depth).
            return new RawRow(at, null, new DatasetRowError(at.Line, at.Row, null, DatasetErrorKind.InvalidJson, "invalid JSON: " + JsonErrors.Describe(e)));
        }
    }

    /// <summary>Finds the end of the JSON value at the start of <paramref name="data"/>.</summary>
    private static (bool Complete, int Consumed, string? Error) Delimit(ReadOnlySpan<byte> data, bool final)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock: final, state: default);
        try
        {
            if (!reader.Read())
            {
                return (false, 0, null);
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
            {
                return (false, 0, null);
            }

            // A number at the end of a non-final block may continue in the next one.
            if (reader.TokenType == JsonTokenType.Number && reader.BytesConsumed == data.Length && !final)
            {
                return (false, 0, null);
            }

            return (true, (int)reader.BytesConsumed, null);
        }
        catch (JsonException e)
        {
            return (false, 0, "invalid JSON: " + JsonErrors.Describe(e));
        }
    }

    private static bool Ensure(ByteWindow w, int count)
    {
        while (w.Count < count && w.Fill())
        {
        }

        return w.Count > 0;
    }

    /// <summary>Skips whitespace (reading more as needed) and returns the newlines skipped.</summary>
    private static int SkipSpace(ByteWindow w)
    {
        int lines = 0;
        while (true)
        {
            while (w.Count > 0)
            {
                byte b = w.Buffer[w.Start];
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return lines;
                }

                if (b == (byte)'\n')
                {
                    lines++;
                }

                w.Start++;
            }

            if (!w.Fill())
            {
                return lines;
            }
        }
    }

    private static RawRow Fatal(long row, long line, string message) =>
        new(new RowCheckpoint(row, 0, line), null, new DatasetRowError(line, row, null, DatasetErrorKind.Unreadable, message), fatal: true);

    public void Dispose()
    {
        _stream.Dispose();
    }
}
