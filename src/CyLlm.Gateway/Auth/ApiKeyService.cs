using System.Diagnostics;
using System.Security.Cryptography;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Auth;

/// <summary>
/// Creates, lists, revokes and rotates API keys and tenants on a store: the one implementation behind
/// `cyllm keys`/`cyllm tenants` (directly on the SQLite file) and the /v1/admin routes. Bad input throws
/// <see cref="ArgumentException"/>; a missing key or tenant or a conflict throws <see cref="AuthAdminException"/>.
/// </summary>
public sealed class ApiKeyService(IJobStore store, TimeProvider time)
{
    /// <summary>Longest rotation grace: old keys must not linger for long.</summary>
    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(30);

    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(24);

    /// <summary>Longest display name, in UTF-16 code units after trimming.</summary>
    public const int MaxNameLength = 128;

    private const int MaxModels = 64;

    /// <summary>Stores a new key and returns it with its secret. With <paramref name="createTenant"/> a missing
    /// tenant is created (CLI, and the well-known default and operator tenants); otherwise it must exist.</summary>
    public async Task<IssuedApiKey> CreateAsync(ApiKeySpec spec, bool createTenant, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var now = time.GetUtcNow();
        var scopes = CheckScopes(spec.Scopes);
        var models = CheckModels(spec.Models);
        string? name = CheckName(spec.Name);
        TenantIds.Check(spec.TenantId);
        if (spec.ExpiresAt is { } exp && exp <= now)
        {
            throw new ArgumentException($"the expiry {exp:u} is in the past; give a future time or a duration such as 30d");
        }

        await RequireTenantAsync(spec.TenantId, createTenant, ct);
        var issued = NewKey(spec.TenantId, scopes, models, now, spec.ExpiresAt, name);
        await store.CreateApiKeyAsync(issued.Record, ct);
        return issued;
    }

    /// <summary>A tenant's keys, oldest first (records hold hashes: callers print <see cref="ApiKeyRecord.Prefix"/> only).</summary>
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenantId, CancellationToken ct = default)
    {
        TenantIds.Check(tenantId);
        return store.ListApiKeysAsync(tenantId, ct);
    }

    /// <summary>Revokes a key of the tenant at once (idempotent) and returns it as stored.</summary>
    public async Task<ApiKeyRecord> RevokeAsync(string tenantId, string keyId, CancellationToken ct = default)
    {
        TenantIds.Check(tenantId);
        CheckKeyId(keyId);
        if (!await store.RevokeApiKeyAsync(tenantId, keyId, time.GetUtcNow(), ct))
        {
            throw NoSuchKey(tenantId, keyId);
        }

        return await FindAsync(tenantId, keyId, ct);
    }

    /// <summary>
    /// Issues a replacement with the same scopes, allow-list, expiry and name; the old key keeps working for
    /// <paramref name="grace"/> (0 = stops now), after which only the new one does. <paramref name="authorize"/> sees the
    /// old key before anything is issued and throws to refuse (the admin API refuses keys broader than the caller's).
    /// </summary>
    public async Task<IssuedApiKey> RotateAsync(string tenantId, string keyId, TimeSpan grace, CancellationToken ct = default, Action<ApiKeyRecord>? authorize = null)
    {
        TenantIds.Check(tenantId);
        CheckKeyId(keyId);
        if (grace < TimeSpan.Zero || grace > MaxGrace)
        {
            throw new ArgumentException($"the grace period must be between 0 and {MaxGrace.TotalDays:0}d (got {grace})");
        }

        var old = await FindAsync(tenantId, keyId, ct);
        authorize?.Invoke(old);
        var now = time.GetUtcNow();
        if (old.ReplacedBy is not null || old.RevokedAt is not null || !old.IsUsableAt(now))
        {
            throw new AuthAdminException(400, $"key {keyId} is {StatusOf(old, now)} and cannot be rotated; rotate its current replacement or create a new key");
        }

        var issued = NewKey(tenantId, old.Scopes, old.AllowedModels, now, old.ExpiresAt, old.Name);
        try
        {
            await store.RotateApiKeyAsync(tenantId, keyId, issued.Record, now + grace, ct);
        }
        catch (JobStoreException e)
        {
            // A concurrent rotation or revocation won the race.
            throw new AuthAdminException(400, $"key {keyId} cannot be rotated: {e.Message}");
        }

        return issued;
    }

    /// <summary>Creates or updates a tenant (name, disabled).</summary>
    public async Task<TenantRecord> UpsertTenantAsync(string tenantId, string? name, bool disabled, CancellationToken ct = default)
    {
        TenantIds.Check(tenantId);
        var existing = await store.GetTenantAsync(tenantId, ct);
        var record = new TenantRecord(tenantId, string.IsNullOrWhiteSpace(name) ? existing?.Name ?? tenantId : name.Trim(), existing?.CreatedAt ?? time.GetUtcNow(), disabled);
        await store.UpsertTenantAsync(record, ct);
        return (await store.GetTenantAsync(tenantId, ct))!;
    }

    /// <summary>"active", "expired", "revoked", "rotated (grace)" or "replaced": how the key stands at <paramref name="now"/>.</summary>
    public static string StatusOf(ApiKeyRecord key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.RevokedAt is { } r && now >= r)
        {
            return "revoked";
        }

        if (key.ExpiresAt is { } e && now >= e)
        {
            return "expired";
        }

        if (key.RotationGraceUntil is { } g)
        {
            return now < g ? "rotated (grace)" : "replaced";
        }

        return "active";
    }

    private async Task<ApiKeyRecord> FindAsync(string tenantId, string keyId, CancellationToken ct)
    {
        foreach (var k in await store.ListApiKeysAsync(tenantId, ct))
        {
            if (k.Id == keyId)
            {
                return k;
            }
        }

        throw NoSuchKey(tenantId, keyId);
    }

    private async Task RequireTenantAsync(string tenantId, bool create, CancellationToken ct)
    {
        var tenant = await store.GetTenantAsync(tenantId, ct);
        if (tenant is null)
        {
            if (!create)
            {
                throw new AuthAdminException(404, $"tenant '{tenantId}' does not exist; create it first (cyllm tenants create {tenantId}, or POST /v1/admin/tenants)");
            }

            await store.UpsertTenantAsync(new TenantRecord(tenantId, tenantId, time.GetUtcNow(), false), ct);
        }
    }

    /// <summary>
    /// A key's display name as stored: trimmed; null or blank = no name. Throws <see cref="ArgumentException"/> when it
    /// is longer than <see cref="MaxNameLength"/> or holds control characters (names end up in tables and logs).
    /// </summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        string trimmed = name.Trim();
        if (trimmed.Length > MaxNameLength)
        {
            throw new ArgumentException($"a key name holds at most {MaxNameLength} characters (got {trimmed.Length})");
        }

        if (trimmed.Any(char.IsControl))
        {
            throw new ArgumentException("a key name must not contain control characters (newlines, tabs, escapes)");
        }

        return trimmed;
    }

    private static IssuedApiKey NewKey(string tenantId, IReadOnlyList<string> scopes, IReadOnlyList<string> models, DateTimeOffset now, DateTimeOffset? expiresAt, string? name)
    {
        string secret = ApiKeySecret.Generate();
        // 64 random bits: ids are public handles (listings, URLs), unique in practice and enforced by the primary key.
        string id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var record = new ApiKeyRecord(id, tenantId, ApiKeySecret.Hash(secret), ApiKeySecret.Prefix(secret), scopes, models, now, expiresAt, null, null, null, name);
        Debug.Assert(record.IsUsableAt(now), "a new key works at once");
        return new IssuedApiKey(record, secret);
    }

    private static string[] CheckScopes(IReadOnlyList<string>? scopes)
    {
        if (scopes is null || scopes.Count == 0)
        {
            throw new ArgumentException($"give at least one scope ({string.Join(", ", AuthScopes.All)}), e.g. --scope inference");
        }

        var list = new List<string>();
        foreach (string s in scopes)
        {
            if (!AuthScopes.All.Contains(s, StringComparer.Ordinal))
            {
                throw new ArgumentException($"unknown scope '{s}'; scopes are {string.Join(", ", AuthScopes.All)}");
            }

            if (!list.Contains(s, StringComparer.Ordinal))
            {
                list.Add(s);
            }
        }

        return [.. list];
    }

    private static string[] CheckModels(IReadOnlyList<string>? models)
    {
        if (models is null)
        {
            return [];
        }

        if (models.Count > MaxModels)
        {
            throw new ArgumentException($"a key's model allow-list holds at most {MaxModels} models (got {models.Count})");
        }

        var list = new List<string>();
        foreach (string m in models)
        {
            if (string.IsNullOrWhiteSpace(m) || m.Length > 256 || m.Any(char.IsControl))
            {
                throw new ArgumentException("model ids in the allow-list must be non-empty, at most 256 characters, without control characters");
            }

            if (!list.Contains(m, StringComparer.Ordinal))
            {
                list.Add(m);
            }
        }

        return [.. list];
    }

    private static void CheckKeyId(string keyId)
    {
        if (string.IsNullOrWhiteSpace(keyId) || keyId.Length > 64)
        {
            throw new ArgumentException("give the key id shown by `cyllm keys list` (e.g. key_0123456789abcdef)");
        }
    }

    private static AuthAdminException NoSuchKey(string tenantId, string keyId) =>
        new(404, $"no key '{keyId}' in tenant '{tenantId}'; list the tenant's keys with `cyllm keys list --tenant {tenantId}` or GET /v1/admin/keys");
}
