namespace CyLlm.Cli.Hub;

/// <summary>
/// Picks the file a <see cref="HubReference"/> means among a repository's files, as llama-server's <c>-hf</c> and
/// Ollama's <c>hf.co/</c> do: an exact path picks that file; anything else is a quantization tag matched
/// case-insensitively in the GGUF file names; no selector picks the only GGUF, or the Q4_K_M one when there are several.
/// Multimodal projector files (<c>mmproj</c>) are never picked by a tag. Every failure names the choices.
/// </summary>
public static class HubFileSelector
{
    /// <summary>The tag picked when a repository has several GGUF files and none was named (llama.cpp and Ollama's default).</summary>
    public const string DefaultQuant = "Q4_K_M";

    private const int MaxListed = 12;

    public static string Select(HubReference reference, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(files);
        string? selector = reference.Selector;
        if (selector is not null && files.Contains(selector, StringComparer.Ordinal))
        {
            return selector;
        }

        var ggufs = files.Where(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !IsProjector(f)).ToList();
        if (selector is null)
        {
            if (ggufs.Count == 1)
            {
                return ggufs[0];
            }

            if (ggufs.Count == 0)
            {
                throw new HubException("file_not_found", $"{reference.Repo} has no .gguf file; name one of its files with hf:{reference.Repo}:FILE ({List(files)})");
            }

            var preferred = Matching(ggufs, DefaultQuant);
            if (preferred.Count == 1)
            {
                return preferred[0];
            }

            throw new HubException("ambiguous_file", $"{reference.Repo} has {ggufs.Count} .gguf files; pick one with hf:{reference.Repo}:QUANT or :FILE ({List(ggufs)})");
        }

        if (LooksLikeFileName(selector))
        {
            // A name with an extension or a folder is a file, so a typo is reported as a missing file, not a missing tag.
            string? other = files.FirstOrDefault(f => string.Equals(f, selector, StringComparison.OrdinalIgnoreCase));
            throw new HubException("file_not_found", other is not null
                ? $"{reference.Repo} has no file '{selector}' (names are case-sensitive: did you mean '{other}'?)"
                : $"{reference.Repo} has no file '{selector}' at revision {reference.Revision} ({List(ggufs.Count > 0 ? ggufs : files)})");
        }

        var matches = Matching(ggufs, selector);
        if (matches.Count == 1)
        {
            return matches[0];
        }

        if (matches.Count == 0)
        {
            throw new HubException("file_not_found", ggufs.Count == 0
                ? $"{reference.Repo} has no .gguf file, so no quantization '{selector}' ({List(files)})"
                : $"{reference.Repo} has no .gguf file for quantization '{selector}' ({List(ggufs)})");
        }

        throw new HubException("ambiguous_file", $"quantization '{selector}' matches {matches.Count} files in {reference.Repo}; name the file with hf:{reference.Repo}:FILE ({List(matches)})");
    }

    /// <summary>
    /// The GGUF files whose name holds <paramref name="tag"/>; when several do, those where the tag stands alone
    /// (between '-', '.', '_' or '/' and '.' or '-'), so Q4_K picks q4_k.gguf over q4_k_m.gguf and Q8_0 is not UD-Q8_0_XL.
    /// </summary>
    private static List<string> Matching(List<string> ggufs, string tag)
    {
        var all = ggufs.Where(f => FileName(f).Contains(tag, StringComparison.OrdinalIgnoreCase)).ToList();
        if (all.Count <= 1)
        {
            return all;
        }

        var whole = all.Where(f => StandsAlone(FileName(f), tag)).ToList();
        return whole.Count > 0 ? whole : all;
    }

    private static bool StandsAlone(string name, string tag)
    {
        for (int i = name.IndexOf(tag, StringComparison.OrdinalIgnoreCase); i >= 0; i = name.IndexOf(tag, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            bool before = i == 0 || name[i - 1] is '-' or '.' or '_';
            int end = i + tag.Length;
            bool after = end == name.Length || name[end] is '.' or '-';
            if (before && after)
            {
                return true;
            }
        }

        return false;
    }

    private static bool LooksLikeFileName(string selector) => selector.Contains('/', StringComparison.Ordinal) || selector.Contains('.', StringComparison.Ordinal);

    private static bool IsProjector(string file) => FileName(file).Contains("mmproj", StringComparison.OrdinalIgnoreCase);

    private static string FileName(string file) => file[(file.LastIndexOf('/') + 1)..];

    private static string List(IReadOnlyList<string> files) => files.Count == 0
        ? "the repository is empty"
        : "files: " + string.Join(", ", files.Take(MaxListed)) + (files.Count > MaxListed ? $", … {files.Count - MaxListed} more" : "");
}
