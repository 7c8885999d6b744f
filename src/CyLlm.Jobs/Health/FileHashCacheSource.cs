using CyLlm.Jobs.Files;

namespace CyLlm.Jobs.Health;

/// <summary>Where the health check gets its <see cref="FileHashCache"/>: a loaded instance, or a path to load and save.</summary>
public sealed record FileHashCacheSource(FileHashCache? Instance, string? CachePath)
{
    public static FileHashCacheSource From(FileHashCache cache) => new(cache, null);

    public static FileHashCacheSource AtPath(string cachePath) => new(null, cachePath);
}
