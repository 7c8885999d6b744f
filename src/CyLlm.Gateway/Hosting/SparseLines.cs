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
        int n = 0;
        foreach (string raw in File.ReadLines(path, Encoding.UTF8))
        {
            string line = n == 0 && raw.StartsWith('\uFEFF') ? raw[1..] : raw;
            if (!string.IsNullOrWhiteSpace(line))
            {
                result._lines.Add(line);
                result._positions.Add(n);
            }

            n = checked(n + 1);
        }

        result.Count = n;
        return result;
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
