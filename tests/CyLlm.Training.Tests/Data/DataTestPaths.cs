using CyLlm.Models;
using CyLlm.Tokenizers;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

/// <summary>The shared test models (../shared/models beside the repository) and a temp folder per test class.</summary>
internal static class DataTestPaths
{
    private static readonly Lazy<TokenizerData> Llama2Data = new(() => ModelLoader.LoadTokenizer(Model("llama-2-tiny-random.gguf")));

    public static string RepoRoot { get; } = FindRoot();

    public static string Model(string name)
    {
        string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", name));
        if (!File.Exists(p))
        {
            throw new FileNotFoundException($"test model missing: {p} (tests read ../shared/models beside the repository)");
        }

        return p;
    }

    /// <summary>The full 32000-token Llama-2 vocabulary of llama-2-tiny-random.gguf.</summary>
    public static TokenizerData Llama2Tokenizer => Llama2Data.Value;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TrainingRenderer> Renderers = new();

    /// <summary>A renderer for the Llama-2 vocabulary and a built-in template (built once per template).</summary>
    public static TrainingRenderer Renderer(string template) => Renderers.GetOrAdd(template, t => TrainingRenderer.Create(Llama2Tokenizer, t));

    public static string TempFile(string name, string content)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cyllm-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string p = Path.Combine(dir, name);
        File.WriteAllText(p, content);
        return p;
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
