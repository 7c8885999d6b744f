using System.Diagnostics;

namespace CyLlm.ChatTemplates.Jinja;

/// <summary>Maps offsets in the (newline-normalized) template to 1-based line and column numbers.</summary>
internal sealed class SourceMap
{
    // Offsets at which each line starts; _lineStarts[0] == 0.
    private readonly List<int> _lineStarts = [0];

    public SourceMap(string source)
    {
        for (int i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public (int Line, int Column) Locate(int offset)
    {
        Debug.Assert(offset >= 0, "offsets are positions in the template");
        int idx = _lineStarts.BinarySearch(offset);
        if (idx < 0)
        {
            idx = ~idx - 1;
        }

        return (idx + 1, offset - _lineStarts[idx] + 1);
    }
}
