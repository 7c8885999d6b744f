using System.Text.Json;
using System.Text.Json.Serialization;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Health;

namespace CyLlm.Gateway.State;

/// <summary>
/// The SHA-256 recorded for each model file a data folder has served, so the start-up health check notices a model file
/// that changed or was damaged since. Two files in the data folder:
/// <list type="bullet">
/// <item><c>model-files.json</c> — the record: <c>{"files":[{"path","sha256","recorded_at"}]}</c>, written (atomically)
/// the first time a path is served;</item>
/// <item><c>model-hashes.cache.json</c> — a <see cref="FileHashCache"/> (path, size, mtime → sha256) so an unchanged
/// multi-gigabyte model is not re-hashed on every start.</item>
/// </list>
/// To accept a deliberately replaced model, remove its entry (or the whole record file).
/// </summary>
public static class ModelHashes
{
    public const string RecordFileName = "model-files.json";

    public const string CacheFileName = "model-hashes.cache.json";

    private static readonly string[] ModelExtensions = [".gguf", ".bin", ".safetensors", ".json", ".model"];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string RecordPath(string dataDirectory) => Path.Combine(dataDirectory, RecordFileName);

    public static string CachePath(string dataDirectory) => Path.Combine(dataDirectory, CacheFileName);

    /// <summary>The files a model path consists of: the file itself, or a folder's model, weight and tokenizer files (top level).</summary>
    public static IReadOnlyList<string> FilesOf(string? modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath))
        {
            return [];
        }

        string full = Path.GetFullPath(modelPath);
        if (File.Exists(full))
        {
            return [full];
        }

        if (!Directory.Exists(full))
        {
            return [full];
        }

        var files = new List<string>();
        foreach (string f in Directory.EnumerateFiles(full))
        {
            if (ModelExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            {
                files.Add(f);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// The expectation (recorded hash) of each file; a file seen for the first time is hashed now (through
    /// <paramref name="cache"/>) and its hash recorded. Missing files get no record, so the check reports them missing.
    /// </summary>
    public static async Task<IReadOnlyList<ModelFileExpectation>> ExpectationsAsync(string dataDirectory, IReadOnlyList<string> files, FileHashCache cache, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(cache);
        var record = Load(dataDirectory);
        bool changed = false;
        var result = new List<ModelFileExpectation>(files.Count);
        foreach (string f in files)
        {
            var entry = record.Files.Find(e => string.Equals(e.Path, f, StringComparison.Ordinal));
            if (entry is null)
            {
                if (!File.Exists(f))
                {
                    result.Add(new ModelFileExpectation(f, new string('0', 64)));
                    continue;
                }

                entry = new RecordEntry { Path = f, Sha256 = cache.GetSha256(f), RecordedAt = now };
                record.Files.Add(entry);
                changed = true;
            }

            result.Add(new ModelFileExpectation(f, entry.Sha256!));
        }

        if (changed)
        {
            await AtomicFile.WriteAsync(RecordPath(dataDirectory), JsonSerializer.SerializeToUtf8Bytes(record, Json), ct);
        }

        await cache.SaveAsync(ct);
        return result;
    }

    /// <summary>The recorded entries (path → sha256) of a data folder; empty when none.</summary>
    public static IReadOnlyDictionary<string, string> Recorded(string dataDirectory)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in Load(dataDirectory).Files)
        {
            map[e.Path!] = e.Sha256!;
        }

        return map;
    }

    private static RecordDocument Load(string dataDirectory)
    {
        string path = RecordPath(dataDirectory);
        try
        {
            if (File.Exists(path))
            {
                var doc = JsonSerializer.Deserialize<RecordDocument>(File.ReadAllBytes(path), Json);
                if (doc is not null)
                {
                    doc.Files.RemoveAll(e => e.Path is null || e.Sha256 is not { Length: 64 });
                    return doc;
                }
            }
        }
        catch (JsonException)
        {
            // A damaged record is rebuilt from the current files (the cache still catches later changes).
        }

        return new RecordDocument();
    }

    private sealed class RecordDocument
    {
        [JsonPropertyName("files")]
        public List<RecordEntry> Files { get; set; } = [];
    }

    private sealed class RecordEntry
    {
        [JsonPropertyName("path")]
        public string? Path { get; set; }

        [JsonPropertyName("sha256")]
        public string? Sha256 { get; set; }

        [JsonPropertyName("recorded_at")]
        public DateTimeOffset RecordedAt { get; set; }
    }
}
