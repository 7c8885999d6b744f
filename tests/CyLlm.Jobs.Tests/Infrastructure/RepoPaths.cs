namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>The repository root (folder holding CyLlm.slnx) and the evidence folder CI prints.</summary>
internal static class RepoPaths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>artifacts/evidence at the repository root: failing chaos/integration tests write JSON evidence here.</summary>
    public static string EvidenceDirectory => Path.Combine(RepoRoot, "artifacts", "evidence");

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
