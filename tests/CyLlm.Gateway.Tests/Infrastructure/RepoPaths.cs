namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Paths relative to the repository root (the folder holding CyLlm.slnx).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string StoriesModel => Path.GetFullPath(Path.Combine(Root, "..", "shared", "models", "stories260K.gguf"));

    public static string TestData(string name) => Path.Combine(Root, "tests", "CyLlm.Gateway.Tests", "TestData", name);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("CyLlm.slnx not found above " + AppContext.BaseDirectory);
    }
}
