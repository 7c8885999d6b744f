using System.Text.Json;

namespace CyLlm.Training.Data.Sources;

internal static class JsonErrors
{
    /// <summary>The reader's message without its "LineNumber: 0 | BytePositionInLine: 12." tail position noise kept short.</summary>
    public static string Describe(JsonException e)
    {
        string m = e.Message;
        int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        string head = cut > 0 ? m[..cut].TrimEnd() : m;
        return e.BytePositionInLine is { } p ? $"{head} (byte {p + 1} of the row)" : head;
    }
}
