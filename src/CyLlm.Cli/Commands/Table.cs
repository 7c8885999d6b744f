namespace CyLlm.Cli.Commands;

/// <summary>Writes rows as left-aligned columns separated by two spaces (the first row is the header).</summary>
internal static class Table
{
    public static void Write(TextWriter w, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var widths = new int[rows[0].Length];
        foreach (var r in rows)
        {
            for (int i = 0; i < r.Length; i++)
            {
                widths[i] = Math.Max(widths[i], r[i].Length);
            }
        }

        foreach (var r in rows)
        {
            var cells = new string[r.Length];
            for (int i = 0; i < r.Length; i++)
            {
                cells[i] = i == r.Length - 1 ? r[i] : r[i].PadRight(widths[i]);
            }

            w.WriteLine(string.Join("  ", cells));
        }
    }
}
