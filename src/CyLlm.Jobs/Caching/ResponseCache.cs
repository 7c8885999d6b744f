using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Caching;

/// <summary>
/// An optional cache of completed deterministic responses (temperature 0 or a fixed seed), stored in the job store's
/// response_cache table — so it survives restarts and is isolated per database: two deployments never see each
/// other's entries. Keys hash model, adapter, parameters and prompt together (<see cref="ComputeKey"/>).
/// </summary>
public sealed class ResponseCache
{
    private readonly IJobStore store;
    private readonly ResponseCacheOptions options;

    public ResponseCache(IJobStore store, ResponseCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        this.store = store;
        this.options = options ?? new ResponseCacheOptions();
        if (this.options.Ttl <= TimeSpan.Zero || this.options.MaxTotalBytes <= 0 || this.options.MaxEntryBytes <= 0)
        {
            throw new ArgumentException("cache TTL and size limits must be positive", nameof(options));
        }
    }

    /// <summary>True when a request's response is reproducible and may be cached: greedy (temperature 0) or seeded.</summary>
    public static bool IsCacheable(double temperature, long? seed) => temperature == 0 || seed is not null;

    /// <summary>
    /// Lower-case hex SHA-256 over the length-prefixed UTF-8 of model, adapter (empty for none), canonical parameters
    /// JSON and prompt. Length prefixes make the key injective: ("ab","c") and ("a","bc") never collide.
    /// </summary>
    /// <param name="parametersJson">The sampling parameters serialised canonically (fixed property order) by the caller.</param>
    public static string ComputeKey(string model, string? adapter, string parametersJson, string prompt)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parametersJson);
        ArgumentNullException.ThrowIfNull(prompt);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[8];
        foreach (string part in (ReadOnlySpan<string>)[model, adapter ?? "", parametersJson, prompt])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(part);
            BinaryPrimitives.WriteInt64LittleEndian(len, bytes.Length);
            h.AppendData(len);
            h.AppendData(bytes);
        }

        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>The cached response for <paramref name="key"/>, or null when absent or expired.</summary>
    public async Task<byte[]?> TryGetAsync(string key, CancellationToken ct = default) =>
        (await store.GetCachedResponseAsync(key, ct).ConfigureAwait(false))?.Value;

    /// <summary>Caches a response for the configured TTL; returns false (and stores nothing) when it exceeds <see cref="ResponseCacheOptions.MaxEntryBytes"/>.</summary>
    public async Task<bool> PutAsync(string key, ReadOnlyMemory<byte> response, CancellationToken ct = default)
    {
        if (response.Length > options.MaxEntryBytes)
        {
            return false;
        }

        await store.PutCachedResponseAsync(key, response, store.Time.GetUtcNow() + options.Ttl, options.MaxTotalBytes, ct).ConfigureAwait(false);
        return true;
    }
}
