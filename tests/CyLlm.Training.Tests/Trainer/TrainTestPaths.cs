namespace CyLlm.Training.Tests.Trainer;

/// <summary>Repository root, shared test models (../shared/models) and the synthetic peer models.</summary>
internal static class TrainTestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string SharedModel(string name)
    {
        string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", name));
        return File.Exists(p) ? p : throw new FileNotFoundException($"test model missing: {p}");
    }

    public static string TempDir(string tag)
    {
        string d = Path.Combine(Path.GetTempPath(), $"cyllm-train-{tag}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (CyLlm.slnx)");
    }
}
