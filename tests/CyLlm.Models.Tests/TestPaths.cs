namespace CyLlm.Models.Tests;

internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Model(string name) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", name));

    public static string TestData(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", relative);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
    }
}
