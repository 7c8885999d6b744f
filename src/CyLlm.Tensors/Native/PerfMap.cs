using System.Globalization;
using System.Text;

namespace CyLlm.Tensors.Native;

/// <summary>
/// Names the machine-code kernels for Linux `perf` in its JIT symbol file, /tmp/perf-PID.map (one line per symbol:
/// start address and size in hex, then the name). Written only when asked (<c>CYLLM_PERF_MAP=1</c>) and only when the
/// .NET runtime does not write that file itself (<c>DOTNET_PerfMapEnabled</c> 1 or 3): the runtime opens it for
/// writing, not appending, and would overwrite lines added beside it. Either way the kernels are attributable, because
/// <see cref="ExecutableMemory"/> maps them from a named memory file.
/// </summary>
internal static class PerfMap
{
    /// <summary>Whether this process should write its own perf map lines, from its environment.</summary>
    public static bool Requested(Func<string, string?> environment)
    {
        if (environment("CYLLM_PERF_MAP") != "1")
        {
            return false;
        }

        string? runtime = environment("DOTNET_PerfMapEnabled") ?? environment("COMPlus_PerfMapEnabled");
        return runtime is not ("1" or "3");
    }

    /// <summary>
    /// The lines for code mapped at <paramref name="start"/>: each entry runs to the next entry's offset (the last to
    /// <paramref name="length"/>); bytes before the first entry are the kernels' shared helpers.
    /// </summary>
    public static string Lines(nuint start, int length, IReadOnlyList<(string Name, int Offset)> entries)
    {
        var sorted = entries.OrderBy(e => e.Offset).ToArray();
        var text = new StringBuilder();
        if (sorted.Length > 0 && sorted[0].Offset > 0)
        {
            Append(text, start, 0, sorted[0].Offset, "cyllm_native_helpers");
        }

        for (int i = 0; i < sorted.Length; i++)
        {
            int end = i + 1 < sorted.Length ? sorted[i + 1].Offset : length;
            if (sorted[i].Offset < 0 || end > length || end <= sorted[i].Offset)
            {
                throw new ArgumentException($"entry {sorted[i].Name} at {sorted[i].Offset} is outside the {length}-byte code or overlaps the next");
            }

            Append(text, start, sorted[i].Offset, end - sorted[i].Offset, sorted[i].Name);
        }

        return text.ToString();
    }

    /// <summary>Appends <paramref name="lines"/> to /tmp/perf-PID.map; a failure only loses the names.</summary>
    public static void Write(string lines, string? path = null)
    {
        path ??= Path.Combine(Path.GetTempPath(), $"perf-{Environment.ProcessId}.map");
        try
        {
            File.AppendAllText(path, lines);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Append(StringBuilder text, nuint start, int offset, int size, string name) =>
        text.Append(CultureInfo.InvariantCulture, $"{start + (nuint)offset:x} {size:x} {name}\n");
}
