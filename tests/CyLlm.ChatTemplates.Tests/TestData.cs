using System.Globalization;
using System.Text.Json;

namespace CyLlm.ChatTemplates.Tests;

/// <summary>
/// The golden files under TestData/ (made by TestData/generate_golden.py with the real Jinja2 configured as
/// transformers configures it, and checked there against llama.cpp's tests/test-chat-template.cpp).
/// </summary>
internal static class TestData
{
    private static readonly Lazy<JsonElement> ManifestJson = new(() => Load("manifest.json"));
    private static readonly Lazy<JsonElement> FeaturesJson = new(() => Load("features.json"));

    /// <summary>tests/CyLlm.ChatTemplates.Tests/TestData, found from the repository root (the folder holding CyLlm.slnx).</summary>
    public static string Dir { get; } = Path.Combine(RepoRoot(), "tests", "CyLlm.ChatTemplates.Tests", "TestData");

    public static JsonElement Manifest => ManifestJson.Value;

    public static JsonElement Features => FeaturesJson.Value;

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Dir, relative));

    public static JsonElement Case(string name)
    {
        foreach (var c in Manifest.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("name").GetString() == name)
            {
                return c;
            }
        }

        throw new KeyNotFoundException(name);
    }

    public static ChatMessage[] Conversation(string name) =>
        Messages(Manifest.GetProperty("conversations").GetProperty(name));

    public static ChatMessage[] Messages(JsonElement list) =>
        list.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray();

    public static Dictionary<string, object?> Variables(JsonElement obj)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            d[p.Name] = p.Value.Clone();
        }

        return d;
    }

    /// <summary>A clock whose local time is <paramref name="isoLocal"/> (the local zone is UTC).</summary>
    public static TimeProvider Clock(string isoLocal) =>
        new FixedTime(DateTimeOffset.Parse(isoLocal + "Z", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));

    private static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, file)));
        return doc.RootElement.Clone();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (CyLlm.slnx) above " + AppContext.BaseDirectory);
    }
}
