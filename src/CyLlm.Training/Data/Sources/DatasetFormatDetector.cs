namespace CyLlm.Training.Data.Sources;

/// <summary>
/// Detects a dataset's format from its first bytes, never its name: Parquet magic <c>PAR1</c>; else the first
/// non-space character after an optional UTF-8 BOM: <c>[</c> a JSON array, <c>{</c> JSON Lines; anything else
/// CSV with a header row.
/// </summary>
internal static class DatasetFormatDetector
{
    private const int SniffBytes = 4096;

    public static DatasetFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("PAR1"u8))
        {
            return DatasetFormat.Parquet;
        }

        if (head.StartsWith(JsonLinesRowSource.Utf8Bom))
        {
            head = head[3..];
        }

        foreach (byte b in head)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b switch
            {
                (byte)'[' => DatasetFormat.JsonArray,
                (byte)'{' => DatasetFormat.JsonLines,
                _ => DatasetFormat.Csv,
            };
        }

        return DatasetFormat.JsonLines;
    }

    /// <summary>
    /// Opens the row source for <paramref name="stream"/> (which it owns): a seekable stream is rewound after the
    /// sniff, a non-seekable one is wrapped so the sniffed bytes are read again.
    /// </summary>
    public static IRowSource Open(Stream stream, int maxRowBytes)
    {
        var head = new byte[SniffBytes];
        int n = 0;
        while (n < head.Length)
        {
            int r = stream.Read(head, n, head.Length - n);
            if (r == 0)
            {
                break;
            }

            n += r;
            if (n >= 8 && !IsAllSpace(head.AsSpan(0, n)))
            {
                break;
            }
        }

        var format = Detect(head.AsSpan(0, n));
        Stream s;
        if (stream.CanSeek)
        {
            stream.Position = 0;
            s = stream;
        }
        else
        {
            s = new PrefixedStream(head[..n], stream);
        }

        return format switch
        {
            DatasetFormat.Parquet => new ParquetRowSource(s),
            DatasetFormat.JsonArray => new JsonArrayRowSource(s, maxRowBytes),
            DatasetFormat.JsonLines => new JsonLinesRowSource(s, maxRowBytes),
            _ => new CsvRowSource(s, maxRowBytes),
        };
    }

    private static bool IsAllSpace(ReadOnlySpan<byte> s)
    {
        if (s.StartsWith(JsonLinesRowSource.Utf8Bom))
        {
            s = s[3..];
        }

        return JsonLinesRowSource.IsBlank(s);
    }
}
