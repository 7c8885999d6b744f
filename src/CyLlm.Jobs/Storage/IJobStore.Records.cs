namespace CyLlm.Jobs.Storage;

/// <summary>Idempotency keys, audit rows, tenants, API keys, files and the response cache.</summary>
public partial interface IJobStore
{
    /// <summary>
    /// Decides what to do with a request carrying an idempotency key, atomically: <see cref="IdempotencyOutcome.New"/>
    /// (the caller now owns the key for <paramref name="ttl"/>), <see cref="IdempotencyOutcome.Replay"/> (same body,
    /// finished: the stored response), <see cref="IdempotencyOutcome.Conflict"/> (different body) or
    /// <see cref="IdempotencyOutcome.InProgress"/>. Keys are per tenant. An expired key, or one left in progress longer
    /// than the store's in-progress timeout (a crashed request), counts as new.
    /// </summary>
    /// <param name="requestHash">Hash of the canonical request (method, path, body).</param>
    Task<IdempotencyBegin> TryBeginIdempotentAsync(string tenantId, string key, string requestHash, TimeSpan ttl, CancellationToken ct = default);

    /// <summary>Stores the response for a key this caller owns (after <see cref="IdempotencyOutcome.New"/>); false if it no longer owns it.</summary>
    Task<bool> CompleteIdempotentAsync(string tenantId, string key, string requestHash, int statusCode, string response, CancellationToken ct = default);

    /// <summary>Releases an in-progress key after a failure so the client can retry; false if it was not in progress with this hash.</summary>
    Task<bool> AbandonIdempotentAsync(string tenantId, string key, string requestHash, CancellationToken ct = default);

    /// <summary>Appends an audit row; returns its id.</summary>
    Task<long> AppendAuditAsync(AuditRecord record, CancellationToken ct = default);

    /// <summary>A tenant's audit rows at or after <paramref name="since"/>, newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAuditAsync(string tenantId, DateTimeOffset? since = null, int limit = 100, CancellationToken ct = default);

    /// <summary>Inserts or updates a tenant (name, disabled).</summary>
    Task UpsertTenantAsync(TenantRecord tenant, CancellationToken ct = default);

    Task<TenantRecord?> GetTenantAsync(string tenantId, CancellationToken ct = default);

    /// <summary>Stores a key; its tenant must exist (foreign key) and its hash must be unique (<see cref="JobStoreException"/> otherwise).</summary>
    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct = default);

    /// <summary>The key with this hash (usable or not: the caller checks <see cref="ApiKeyRecord.IsUsableAt"/>), or null.</summary>
    Task<ApiKeyRecord?> FindApiKeyByHashAsync(string keyHash, CancellationToken ct = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken ct = default);

    /// <summary>Marks a tenant's key revoked at <paramref name="at"/>; false when no such key of this tenant.</summary>
    Task<bool> RevokeApiKeyAsync(string tenantId, string keyId, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>
    /// Stores <paramref name="replacement"/> and lets the old key work until <paramref name="graceUntil"/>, in one
    /// transaction. Throws <see cref="JobStoreException"/> when the old key is not the tenant's or is already replaced.
    /// </summary>
    Task RotateApiKeyAsync(string tenantId, string oldKeyId, ApiKeyRecord replacement, DateTimeOffset graceUntil, CancellationToken ct = default);

    /// <summary>Registers a file; an existing id with identical fields is accepted (idempotent retry), a different one throws <see cref="JobStoreException"/>.</summary>
    Task AddFileAsync(FileRecord file, CancellationToken ct = default);

    /// <summary>The file only if it belongs to <paramref name="tenantId"/>.</summary>
    Task<FileRecord?> GetFileAsync(string tenantId, string fileId, CancellationToken ct = default);

    /// <summary>A tenant's files, newest first, optionally of one purpose.</summary>
    Task<IReadOnlyList<FileRecord>> ListFilesAsync(string tenantId, string? purpose = null, int limit = 100, CancellationToken ct = default);

    /// <summary>Deletes a tenant's file row (the bytes are the caller's to remove); false when absent.</summary>
    Task<bool> DeleteFileAsync(string tenantId, string fileId, CancellationToken ct = default);

    /// <summary>A live (unexpired) cache entry, or null.</summary>
    Task<CachedResponse?> GetCachedResponseAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// Stores an entry, then evicts expired entries and, oldest first, live ones until the cache holds at most
    /// <paramref name="maxTotalBytes"/> of values. An entry larger than the limit is not stored.
    /// </summary>
    Task PutCachedResponseAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, long maxTotalBytes, CancellationToken ct = default);

    Task<ResponseCacheStats> GetResponseCacheStatsAsync(CancellationToken ct = default);
}
