using System.Reflection;
using System.Security.Cryptography;

namespace CyLlm.Gateway.WebConsole;

/// <summary>
/// The web console's files, embedded in the gateway assembly (resource names <c>console/…</c>, see the .csproj), so
/// that <c>cyllm serve</c> needs nothing on disk and nothing from the internet to show it. Loaded once per process.
/// </summary>
public static class ConsoleAssets
{
    private const string Prefix = "console/";

    private static readonly Lazy<IReadOnlyDictionary<string, ConsoleAsset>> Files = new(Load);

    /// <summary>Every embedded file by its path (<c>index.html</c>, <c>app.js</c>, <c>pages/keys.js</c>).</summary>
    public static IReadOnlyDictionary<string, ConsoleAsset> All => Files.Value;

    public static bool TryGet(string path, out ConsoleAsset asset) => Files.Value.TryGetValue(path, out asset!);

    /// <summary>The Content-Type for a file name; unknown extensions get <c>application/octet-stream</c> (never sniffed: nosniff).</summary>
    public static string ContentTypeOf(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };

    private static IReadOnlyDictionary<string, ConsoleAsset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            // Windows builds name nested resources with '\'; the URL form is always '/'.
            string path = name[Prefix.Length..].Replace('\\', '/');
            byte[] bytes = Read(assembly, name);
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes), 0, 12) + "\"";
            files[path] = new ConsoleAsset(path, ContentTypeOf(path), bytes, etag);
        }

        return files;
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
