using System.Text.RegularExpressions;

namespace CyLlm.Cli.Hub;

/// <summary>
/// A model on the Hugging Face Hub as written on the command line: <c>hf:OWNER/REPO[@REVISION][:FILE_OR_QUANT]</c>
/// (the revision may also follow the selector: <c>hf:OWNER/REPO:Q4_K_M@v1.0</c>). Parsing rejects anything that could
/// escape the cache folder (<c>..</c>, absolute paths, backslashes), since the repo, revision and file become paths.
/// </summary>
/// <param name="Repo">OWNER/REPO.</param>
/// <param name="Selector">An exact file path in the repository or a quantization tag; null picks the repository's GGUF file.</param>
/// <param name="Revision">Branch, tag or commit; <c>main</c> by default.</param>
public sealed partial record HubReference(string Repo, string? Selector, string Revision)
{
    public const string Prefix = "hf:";

    public const string DefaultRevision = "main";

    /// <summary>True when <paramref name="text"/> names a Hub model (starts with <c>hf:</c>).</summary>
    public static bool IsHub(string? text) => text is not null && text.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ArgumentException"/> with one line saying what is wrong.</summary>
    public static HubReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsHub(text))
        {
            throw new ArgumentException($"'{Short(text)}' is not a Hub model; write hf:OWNER/REPO[:FILE_OR_QUANT][@REVISION]");
        }

        string rest = text[Prefix.Length..];
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        string repo = colon < 0 ? rest : rest[..colon];
        string? selector = colon < 0 ? null : rest[(colon + 1)..];
        string revision = DefaultRevision;
        int at = repo.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            revision = repo[(at + 1)..];
            repo = repo[..at];
        }
        else if (selector is not null && selector.LastIndexOf('@') is var sat and >= 0)
        {
            revision = selector[(sat + 1)..];
            selector = selector[..sat];
        }

        if (!RepoPattern().IsMatch(repo) || repo.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{Short(text)}': the repository must be OWNER/REPO (letters, digits, '.', '_', '-'), e.g. hf:Qwen/Qwen3-0.6B-GGUF:Q4_K_M");
        }

        if (selector is not null && !IsSafeRelativePath(selector))
        {
            throw new ArgumentException($"'{Short(text)}': after the repository comes a file name or a quantization tag, e.g. :Q4_K_M or :model-q4_k_m.gguf (no '..', no leading '/', no '\\')");
        }

        if (!RevisionPattern().IsMatch(revision) || !IsSafeRelativePath(revision))
        {
            throw new ArgumentException($"'{Short(text)}': the revision after '@' must be a branch, tag or commit (letters, digits, '.', '_', '-', '/')");
        }

        return new HubReference(repo, selector, revision);
    }

    /// <summary>The cache folder name the Hub's libraries use for this repository: <c>models--OWNER--REPO</c>.</summary>
    public string CacheFolderName => "models--" + Repo.Replace("/", "--", StringComparison.Ordinal);

    public override string ToString() => Prefix + Repo + (Selector is null ? "" : ":" + Selector) + (Revision == DefaultRevision ? "" : "@" + Revision);

    /// <summary>True for a full 40-hex commit id (a revision that never moves).</summary>
    public static bool IsCommit(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);

    private static bool IsSafeRelativePath(string path)
    {
        if (path.Length == 0 || path.Length > 512 || path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == ".." || segment.Any(char.IsControl))
            {
                return false;
            }
        }

        return true;
    }

    private static string Short(string s) => s.Length <= 120 ? s : s[..120] + "…";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepoPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")]
    private static partial Regex RevisionPattern();
}
