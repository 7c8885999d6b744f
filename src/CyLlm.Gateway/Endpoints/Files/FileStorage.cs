using CyLlm.Jobs.Files;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>The bytes of stored files: <c>DATA/files/&lt;id&gt;</c> plus AtomicFile's <c>.ok</c> marker.</summary>
public static class FileStorage
{
    /// <summary>Removes a file's bytes and marker; missing ones are fine (a retried delete, a failed upload).</summary>
    public static void DeleteBytes(string path)
    {
        foreach (string p in (ReadOnlySpan<string>)[path, AtomicFile.MarkerPath(path)])
        {
            try
            {
                File.Delete(p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Orphaned bytes are harmless (no row points at them); the next purge of the folder removes them.
            }
        }
    }
}
