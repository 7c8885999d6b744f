using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Jobs.Files;

/// <summary>
/// SHA-256 of files keyed by (full path, size, last-write time in UTC ticks), persisted as a small JSON file, so a
/// start-up check of multi-gigabyte model files re-hashes only files that changed. A file whose size or mtime changed is
/// always re-hashed; a change that keeps both (rare, deliberate) is not detected — the price of a fast check.
/// Thread-safe.
/// </summary>
public sealed class FileHashCache
{
    private readonly string? cachePath;
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private bool dirty;

    private FileHashCache(string? cachePath)
    {
        this.cachePath = cachePath is null ? null : Path.GetFullPath(cachePath);
    }

    /// <summary>Hashes computed (cache misses) since load.</summary>
    public int Computed { get; private set; }

    /// <summary>Hashes answered from the cache since load.</summary>
    public int Hits { get; private set; }

    /// <summary>An in-memory cache that is never saved.</summary>
    public static FileHashCache InMemory() => new(null);

    /// <summary>Loads the cache at <paramref name="cachePath"/>; a missing or unreadable cache file starts empty (it is only a cache).</summary>
    public static FileHashCache Load(string cachePath)
    {
        var cache = new FileHashCache(cachePath);
        try
        {
            if (File.Exists(cache.cachePath))
            {
                var doc = JsonSerializer.Deserialize<CacheDocument>(File.ReadAllBytes(cache.cachePath!));
                foreach (var e in doc?.Entries ?? [])
                {
                    if (e.Path is not null && e.Sha256 is { Length: 64 })
                    {
                        cache.entries[e.Path] = e;
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // A damaged cache is rebuilt by hashing again.
        }

        return cache;
    }

    /// <summary>The file's lower-case hex SHA-256, from the cache when path, size and mtime match.</summary>
    public string GetSha256(string path)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"file {full} does not exist", full);
        }

        long size = info.Length;
        long mtime = info.LastWriteTimeUtc.Ticks;
        lock (gate)
        {
            if (entries.TryGetValue(full, out var e) && e.Size == size && e.MtimeTicks == mtime)
            {
                Hits++;
                return e.Sha256!;
            }
        }

        var (hashedSize, sha) = AtomicFile.HashFile(full);
        lock (gate)
        {
            entries[full] = new Entry { Path = full, Size = hashedSize, MtimeTicks = mtime, Sha256 = sha };
            Computed++;
            dirty = true;
        }

        return sha;
    }

    /// <summary>Writes the cache file (atomically) if anything changed; a no-op for an in-memory cache.</summary>
    public async Task SaveAsync(CancellationToken ct = default)
    {
        if (cachePath is null)
        {
            return;
        }

        byte[] json;
        lock (gate)
        {
            if (!dirty)
            {
                return;
            }

            json = JsonSerializer.SerializeToUtf8Bytes(new CacheDocument { Entries = [.. entries.Values] });
            dirty = false;
        }

        await AtomicFile.WriteAsync(cachePath, json, ct).ConfigureAwait(false);
    }

    private sealed class CacheDocument
    {
        [JsonPropertyName("entries")]
        public List<Entry>? Entries { get; set; }
    }

    private sealed class Entry
    {
        [JsonPropertyName("path")]
        public string? Path { get; set; }

        [JsonPropertyName("size")]
        public long Size { get; set; }

        [JsonPropertyName("mtime_ticks")]
        public long MtimeTicks { get; set; }

        [JsonPropertyName("sha256")]
        public string? Sha256 { get; set; }
    }
}
