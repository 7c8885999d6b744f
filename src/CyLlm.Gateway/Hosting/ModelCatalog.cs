namespace CyLlm.Gateway.Hosting;

/// <summary>
/// The base models a server hosts: every <c>--model</c> given, where a folder holding <c>config.json</c> is one
/// Hugging Face model and any other folder stands for the GGUF files in it (sorted by name). Ids are file or folder
/// names without extension; the first model is the default (requests without "model").
/// </summary>
public static class ModelCatalog
{
    /// <summary>(id, path) per model in serving order; empty when none is configured (a test backend).</summary>
    public static IReadOnlyList<(string Id, string Path)> Expand(GatewayOptions options)
    {
        var paths = options.ModelPaths is { Count: > 0 } many ? many : options.ModelPath is { } one ? [one] : [];
        var list = new List<(string Id, string Path)>();
        foreach (string p in paths)
        {
            if (Directory.Exists(p) && !File.Exists(Path.Combine(p, "config.json")))
            {
                foreach (string f in Directory.EnumerateFiles(p, "*.gguf").Order(StringComparer.Ordinal))
                {
                    list.Add((IdOf(f), f));
                }

                foreach (string d in Directory.EnumerateDirectories(p).Order(StringComparer.Ordinal))
                {
                    if (File.Exists(Path.Combine(d, "config.json")))
                    {
                        list.Add((IdOf(d), d));
                    }
                }
            }
            else
            {
                list.Add((IdOf(p), p));
            }
        }

        if (list.Count > 0 && options.ModelId is { } id)
        {
            list[0] = (id, list[0].Path);
        }

        return list;
    }

    /// <summary>Problems with the model list (empty folders, duplicate ids), each naming the paths.</summary>
    public static IReadOnlyList<string> Validate(GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.ModelPaths is not { Count: > 0 })
        {
            return errors;
        }

        foreach (string p in options.ModelPaths)
        {
            if (!File.Exists(p) && !Directory.Exists(p))
            {
                errors.Add($"--model {p}: no such file or folder");
            }
            else if (Directory.Exists(p) && !File.Exists(Path.Combine(p, "config.json"))
                && !Directory.EnumerateFiles(p, "*.gguf").Any() && !Directory.EnumerateDirectories(p).Any(d => File.Exists(Path.Combine(d, "config.json"))))
            {
                errors.Add($"--model {p}: the folder holds no model (*.gguf files or Hugging Face folders with config.json)");
            }
        }

        foreach (var g in Expand(options).GroupBy(e => e.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"--model: two models would both be served as '{g.Key}' ({string.Join(", ", g.Select(e => e.Path))}); rename one file");
        }

        return errors;
    }

    private static string IdOf(string path) => Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path));
}
