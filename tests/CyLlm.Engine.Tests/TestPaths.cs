namespace CyLlm.Engine.Tests;

/// <summary>Locations of the repository, the shared test models and generated synthetic models.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string SharedModels => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models"));

    public static string SharedPeer => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "peer"));

    public static string Model(string name)
    {
        string p = Path.Combine(SharedModels, name);
        if (!File.Exists(p))
        {
            throw new FileNotFoundException($"test model missing: {p} (tests read ../shared/models beside the repository)");
        }

        return p;
    }

    public static string TestData(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", relative);

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
