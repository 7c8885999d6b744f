using System.Collections;
using System.Text;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// The lines of a batch input file with its blank lines not stored: they read back as empty strings, so line numbers
/// (in the runner's error messages) stay those of the file. Upload validation admits any number of blank lines around
/// at most 50,000 requests, and an array of every line of a 512 MiB file of newlines would cost GiBs of references;
/// here memory is the non-blank lines plus one number each.
/// </summary>
public sealed class SparseLines : IReadOnlyList<string>
{
    // Non-blank lines and their 0-based positions in the file, ascending.
    private readonly List<string> _lines = [];
    private readonly List<int> _positions = [];

    private SparseLines()
    {
    }

    public int Count { get; private set; }

    public string this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            int at = _positions.BinarySearch(index);
            return at >= 0 ? _lines[at] : string.Empty;
        }
    }

    /// <summary>Reads <paramref name="path"/> (UTF-8, a leading byte order mark removed) one line at a time.</summary>
    public static SparseLines Read(string path)
    {
        var result = new SparseLines();
        foreach (string raw in File.ReadLines(path, Encoding.UTF8))
        {
            result.Add(raw);
        }

        return result;
    }

    /// <summary>Reads <paramref name="content"/> (UTF-8, a leading byte order mark removed) one line at a time, asynchronously.</summary>
    public static async Task<SparseLines> ReadAsync(Stream content, CancellationToken ct)
    {
        var result = new SparseLines();
        // Same line splitting as File.ReadLines (\n, \r\n, \r); a trailing newline ends the last line rather than adding an empty one.
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (await reader.ReadLineAsync(ct) is { } raw)
        {
            result.Add(raw);
        }

        return result;
    }

    private void Add(string raw)
    {
        string line = Count == 0 && raw.StartsWith('\uFEFF') ? raw[1..] : raw;
        if (!string.IsNullOrWhiteSpace(line))
        {
            _lines.Add(line);
            _positions.Add(Count);
        }

        Count = checked(Count + 1);
    }

    public IEnumerator<string> GetEnumerator()
    {
        int next = 0;
        for (int i = 0; i < Count; i++)
        {
            if (next < _positions.Count && _positions[next] == i)
            {
                yield return _lines[next++];
            }
            else
            {
                yield return string.Empty;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
