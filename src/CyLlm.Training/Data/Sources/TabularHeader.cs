namespace CyLlm.Training.Data.Sources;

/// <summary>The column names of a CSV or Parquet file, matched case-insensitively (first match wins).</summary>
internal sealed class TabularHeader
{
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);

    public TabularHeader(IReadOnlyList<string> names)
    {
        Names = names;
        for (int i = 0; i < names.Count; i++)
        {
            _index.TryAdd(names[i].Trim(), i);
        }
    }

    public IReadOnlyList<string> Names { get; }

    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i : -1;
}
