namespace CyLlm.Jobs.Blobs;

/// <summary>
/// Blob ids: 1 to <see cref="MaxLength"/> characters of [A-Za-z0-9_-] (file ids qualify). They are file names in the
/// local store, so anything path-like (<c>../x</c>, <c>a/b</c>) and anything with a dot (which could name another blob's
/// <c>.ok</c> marker or an AtomicFile temp name) is refused before any file system or database call.
/// </summary>
public static class BlobIds
{
    public const int MaxLength = 200;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for an id <see cref="IsValid"/> refuses.</summary>
    public static void Require(string? id)
    {
        if (!IsValid(id))
        {
            string shown = id is null ? "null" : id.Length <= 60 ? id : id[..60] + "…";
            throw new ArgumentException($"'{shown}' is not a blob id (1–{MaxLength} characters of A-Z a-z 0-9 _ -)", nameof(id));
        }
    }
}
