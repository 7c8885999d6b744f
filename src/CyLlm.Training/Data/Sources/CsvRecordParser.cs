using System.Buffers;
using System.Diagnostics;

namespace CyLlm.Training.Data.Sources;

/// <summary>
/// The RFC 4180 state machine over a <see cref="ByteWindow"/>: copies each record's field bytes (quotes
/// removed, doubled quotes undoubled) into one pooled buffer, <c>_fieldStarts[i]</c> being where field i
/// starts in it. Records larger than the row limit are consumed but not kept (reported as too large).
/// </summary>
internal sealed class CsvRecordParser : IDisposable
{
    private enum State
    {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    private readonly ByteWindow _w;
    private readonly int _maxRowBytes;
    private readonly List<int> _fieldStarts = [];
    private byte[] _acc = ArrayPool<byte>.Shared.Rent(4096);
    private int _accLength;

    public CsvRecordParser(ByteWindow window, int maxRowBytes)
    {
        _w = window;
        _maxRowBytes = maxRowBytes;
    }

    /// <summary>Stream offset of the next unread byte (just after the last record).</summary>
    public long Offset => _w.OffsetOf(_w.Start);

    public ReadOnlySpan<byte> Field(int i)
    {
        Debug.Assert(i >= 0 && i < _fieldStarts.Count);
        int start = _fieldStarts[i];
        int end = i + 1 < _fieldStarts.Count ? _fieldStarts[i + 1] : _accLength;
        return _acc.AsSpan(start, end - start);
    }

    /// <summary>The next record, or null at the end of the stream.</summary>
    public CsvRecord? Next(long line)
    {
        _fieldStarts.Clear();
        _accLength = 0;
        _fieldStarts.Add(0);
        long start = Offset;
        long newlines = 0;
        bool any = false;
        bool quotedAny = false;
        bool tooLarge = false;
        string? error = null;
        var state = State.FieldStart;
        while (true)
        {
            if (_w.Count == 0 && !_w.Fill())
            {
                if (!any)
                {
                    return null;
                }

                if (state == State.Quoted)
                {
                    return new CsvRecord(start, newlines, _fieldStarts.Count, false,
                        $"a quoted field opened on line {line} is never closed", DatasetErrorKind.InvalidCsv, true);
                }

                return Finish(start, newlines, quotedAny, tooLarge, error);
            }

            any = true;
            byte b = _w.Buffer[_w.Start++];
            switch (state)
            {
                case State.FieldStart:
                    if (b == (byte)'"')
                    {
                        state = State.Quoted;
                        quotedAny = true;
                    }
                    else if (b == (byte)',')
                    {
                        _fieldStarts.Add(_accLength);
                    }
                    else if (b == (byte)'\n')
                    {
                        return Finish(start, newlines + 1, quotedAny, tooLarge, error);
                    }
                    else
                    {
                        Append(b, ref tooLarge);
                        state = State.Unquoted;
                    }

                    break;
                case State.Unquoted:
                    if (b == (byte)',')
                    {
                        _fieldStarts.Add(_accLength);
                        state = State.FieldStart;
                    }
                    else if (b == (byte)'\n')
                    {
                        if (_accLength > _fieldStarts[^1] && _acc[_accLength - 1] == (byte)'\r')
                        {
                            _accLength--;
                        }

                        return Finish(start, newlines + 1, quotedAny, tooLarge, error);
                    }
                    else
                    {
                        if (b == (byte)'"')
                        {
                            error ??= $"a quote inside the unquoted field {_fieldStarts.Count} (quote the whole field and double inner quotes)";
                        }

                        Append(b, ref tooLarge);
                    }

                    break;
                case State.Quoted:
                    if (b == (byte)'"')
                    {
                        state = State.QuoteInQuoted;
                    }
                    else
                    {
                        if (b == (byte)'\n')
                        {
                            newlines++;
                        }

                        Append(b, ref tooLarge);
                    }

                    break;
                case State.QuoteInQuoted:
                    if (b == (byte)'"')
                    {
                        Append(b, ref tooLarge);
                        state = State.Quoted;
                    }
                    else if (b == (byte)',')
                    {
                        _fieldStarts.Add(_accLength);
                        state = State.FieldStart;
                    }
                    else if (b == (byte)'\n')
                    {
                        return Finish(start, newlines + 1, quotedAny, tooLarge, error);
                    }
                    else if (b != (byte)'\r')
                    {
                        error ??= $"unexpected character '{(char)b}' after the closing quote of field {_fieldStarts.Count}";
                        Append(b, ref tooLarge);
                        state = State.Unquoted;
                    }

                    break;
            }
        }
    }

    private CsvRecord Finish(long start, long newlines, bool quotedAny, bool tooLarge, string? error)
    {
        bool blank = !quotedAny && _fieldStarts.Count == 1 && _accLength == 0;
        if (tooLarge)
        {
            return new CsvRecord(start, newlines, _fieldStarts.Count, false, $"the record is longer than {_maxRowBytes} bytes", DatasetErrorKind.RowTooLarge, false);
        }

        return new CsvRecord(start, newlines, _fieldStarts.Count, blank, error, DatasetErrorKind.InvalidCsv, false);
    }

    private void Append(byte b, ref bool tooLarge)
    {
        if (tooLarge)
        {
            return;
        }

        if (_accLength == _acc.Length)
        {
            if (_acc.Length >= _maxRowBytes)
            {
                tooLarge = true;
                return;
            }

            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxRowBytes, _acc.Length * 2));
            Array.Copy(_acc, bigger, _accLength);
            ArrayPool<byte>.Shared.Return(_acc);
            _acc = bigger;
        }

        _acc[_accLength++] = b;
    }

    public void Dispose()
    {
        if (_acc.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_acc);
            _acc = [];
        }
    }
}
