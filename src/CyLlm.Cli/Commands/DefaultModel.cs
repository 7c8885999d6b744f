namespace CyLlm.Cli.Commands;

/// <summary>
/// Finds CyLlm's built-in model (models/cyllm-default.gguf, trained by scripts/default-model/train.sh) for the commands
/// that take an optional --model: the copy next to the executable, else the repository's models/ folder found by
/// walking up from the executable and from the working directory.
/// </summary>
internal static class DefaultModel
{
    public const string FileName = "cyllm-default.gguf";

    /// <summary><paramref name="given"/> when set, else the default model's path; one clear line when it is missing.</summary>
    public static string Resolve(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        return Find() ?? throw new FileNotFoundException(
            $"no --model given and the built-in model models/{FileName} was not found next to the executable or in the repository; pass --model FILE");
    }

    /// <summary>The default model's full path, or null when none is found.</summary>
    public static string? Find()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "models", FileName);
        if (File.Exists(beside))
        {
            return beside;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", FileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
