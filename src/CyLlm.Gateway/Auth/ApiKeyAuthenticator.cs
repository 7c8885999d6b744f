using System.Collections.Concurrent;
using CyLlm.Gateway.Errors;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Turns a presented key into a <see cref="Caller"/>, looking the key's hash up in the store with a short-lived
/// in-memory cache. Bound: a key or tenant changed by another process (`cyllm keys revoke` on the same database,
/// another gateway replica) takes effect here within <see cref="Ttl"/> (2 s by default); changes made through
/// this gateway's admin routes call <see cref="Invalidate"/> and take effect at once. Expiry and grace ends are
/// checked against the clock on every request, so they are exact whatever the cache holds.
/// </summary>
public sealed class ApiKeyAuthenticator(IJobStore store, TimeProvider time, TimeSpan ttl)
{
    /// <summary>Entries kept at most; beyond it the cache is emptied (keeps a flood of random keys from growing memory).</summary>
    private const int MaxEntries = 10_000;

    /// <summary>Hex SHA-256 of the key → what the store said at <see cref="ApiKeyCacheEntry.FetchedAt"/> (unknown keys too, so
    /// a flood of bad keys costs one query per key per TTL).</summary>
    private readonly ConcurrentDictionary<string, ApiKeyCacheEntry> cache = new(StringComparer.Ordinal);

    public TimeSpan Ttl { get; } = ttl;

    /// <summary>Forgets every cached lookup (after a revocation, rotation or tenant change made here).</summary>
    public void Invalidate() => cache.Clear();

    /// <summary>The caller for <paramref name="presented"/>; throws 401 <c>invalid_api_key</c> (with
    /// <paramref name="rejected"/> set to the stored key when one matched, for the audit row).</summary>
    public async ValueTask<Caller> AuthenticateAsync(string presented, Action<ApiKeyRecord>? rejected, CancellationToken ct)
    {
        string hash = ApiKeySecret.Hash(presented);
        var now = time.GetUtcNow();
        if (!cache.TryGetValue(hash, out var entry) || now - entry.FetchedAt >= Ttl || now < entry.FetchedAt)
        {
            var key = await store.FindApiKeyByHashAsync(hash, ct);
            var tenant = key is null ? null : await store.GetTenantAsync(key.TenantId, ct);
            entry = new ApiKeyCacheEntry(key, tenant, now, key is null ? null : new Caller(key.TenantId, key.Id, key.Prefix, key.Scopes, key.AllowedModels) { ExpiresAt = key.ExpiresAt });
            if (cache.Count >= MaxEntries)
            {
                cache.Clear();
            }

            cache[hash] = entry;
        }

        if (entry.Key is not { } k || entry.Caller is not { } caller)
        {
            throw Invalid($"Incorrect API key provided: {ApiKeySecret.Describe(presented)} is not a key of this server");
        }

        string? problem = k switch
        {
            { RevokedAt: { } r } when now >= r => $"the API key {k.Prefix}… was revoked at {r:u}",
            { ExpiresAt: { } e } when now >= e => $"the API key {k.Prefix}… expired at {e:u}",
            { RotationGraceUntil: { } g } when now >= g => $"the API key {k.Prefix}… was rotated and its grace period ended at {g:u}; use its replacement",
            _ when entry.Tenant is null => $"the tenant '{k.TenantId}' of API key {k.Prefix}… no longer exists",
            _ when entry.Tenant.Disabled => $"the tenant '{k.TenantId}' of API key {k.Prefix}… is disabled",
            _ => null,
        };
        if (problem is not null)
        {
            rejected?.Invoke(k);
            throw Invalid(char.ToUpperInvariant(problem[0]) + problem[1..]);
        }

        return caller;
    }

    /// <summary>401 for a request without any key.</summary>
    public static ApiError Missing() => Invalid("You didn't provide an API key");

    private static ApiError Invalid(string what) => new(401, ErrorCodes.InvalidApiKey,
        $"{what}. Fix: send a valid key as 'Authorization: Bearer sk-cy-…'; an operator creates one with: cyllm keys create --data-dir <the server's data dir> --scope inference");
}
