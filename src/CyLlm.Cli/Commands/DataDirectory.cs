using System.CommandLine;

namespace CyLlm.Cli.Commands;

/// <summary>The state folder (--data-dir): $CYLLM_DATA_DIR, else $XDG_DATA_HOME/cyllm, else ~/.local/share/cyllm.</summary>
internal static class DataDirectory
{
    public static Option<string?> Option() => new("--data-dir")
    {
        Description = "state folder (SQLite database, files); default $CYLLM_DATA_DIR or ~/.local/share/cyllm",
    };

    public static string Resolve(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return Path.GetFullPath(given);
        }

        string? env = Environment.GetEnvironmentVariable("CYLLM_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Path.GetFullPath(env);
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(root, "cyllm");
    }

    public static string Database(string dataDir) => Path.Combine(dataDir, "cyllm.db");
}
