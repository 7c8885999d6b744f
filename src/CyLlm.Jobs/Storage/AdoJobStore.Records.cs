using System.Data.Common;
using System.Text.Json;

namespace CyLlm.Jobs.Storage;

/// <summary>Audit rows, tenants, API keys and files.</summary>
public abstract partial class AdoJobStore
{
    private const string ApiKeyColumns =
        "id, tenant_id, key_hash, prefix, scopes, allowed_models, created_at, expires_at, revoked_at, grace_until, replaced_by, name";

    private const string FileColumns = "id, tenant_id, purpose, filename, bytes, sha256, path, created_at";

    public Task<long> AppendAuditAsync(AuditRecord record, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.Endpoint) || string.IsNullOrEmpty(record.Method))
        {
            throw new ArgumentException("audit endpoint and method must not be empty", nameof(record));
        }

        return WriteAsync(async (c, tx, ct) =>
        {
            return await ScalarLongAsync(AuditInsert(c, tx, record, " RETURNING id"), ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<IReadOnlyList<AuditRecord>> ListAuditAsync(string tenantId, DateTimeOffset? since = null, int limit = 100, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        RequireLimit(limit);
        return ReadAsync<IReadOnlyList<AuditRecord>>(async (c, ct) =>
        {
            var cmd = Command(c, null,
                "SELECT id, at, trace_id, key_prefix, tenant_id, endpoint, method, status, duration_ms, prompt_tokens, completion_tokens FROM audit "
                + "WHERE tenant_id = @tenant" + (since is null ? "" : " AND at >= @since") + " ORDER BY at DESC, id DESC LIMIT @limit");
            Param(cmd, "@tenant", tenantId);
            if (since is { } s)
            {
                Param(cmd, "@since", Ms(s));
            }

            Param(cmd, "@limit", (long)limit);
            var list = new List<AuditRecord>();
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new AuditRecord(r.GetInt64(0), At(r.GetInt64(1)), StringOrNull(r, 2), StringOrNull(r, 3), StringOrNull(r, 4),
                        r.GetString(5), r.GetString(6), (int)r.GetInt64(7), r.GetDouble(8), r.GetInt64(9), r.GetInt64(10)));
                }
            }

            return list;
        }, ct);
    }

    public Task UpsertTenantAsync(TenantRecord tenant, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        RequireTenant(tenant.Id);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx,
                "INSERT INTO tenants (id, name, created_at, disabled) VALUES (@id, @name, @created, @disabled) "
                + "ON CONFLICT (id) DO UPDATE SET name = excluded.name, disabled = excluded.disabled");
            Param(cmd, "@id", tenant.Id);
            Param(cmd, "@name", tenant.Name);
            Param(cmd, "@created", Ms(tenant.CreatedAt));
            Param(cmd, "@disabled", tenant.Disabled ? 1L : 0L);
            return await ExecAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<TenantRecord?> GetTenantAsync(string tenantId, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        return ReadAsync<TenantRecord?>(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT id, name, created_at, disabled FROM tenants WHERE id = @id");
            Param(cmd, "@id", tenantId);
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                return await r.ReadAsync(ct).ConfigureAwait(false)
                    ? new TenantRecord(r.GetString(0), r.GetString(1), At(r.GetInt64(2)), r.GetInt64(3) != 0)
                    : null;
            }
        }, ct);
    }

    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        RequireApiKey(key);
        return WriteAsync((c, tx, ct) => InsertApiKeyAsync(c, tx, key, ct), ct);
    }

    public Task<ApiKeyRecord?> FindApiKeyByHashAsync(string keyHash, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyHash);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_hash = @hash");
            Param(cmd, "@hash", keyHash);
            return (await ReadApiKeysAsync(cmd, ct).ConfigureAwait(false)) is [var k] ? k : null;
        }, ct);
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {ApiKeyColumns} FROM api_keys WHERE tenant_id = @tenant ORDER BY created_at, id");
            Param(cmd, "@tenant", tenantId);
            return await ReadApiKeysAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<bool> RevokeApiKeyAsync(string tenantId, string keyId, DateTimeOffset at, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id AND tenant_id = @tenant");
            Param(cmd, "@at", Ms(at));
            Param(cmd, "@id", keyId);
            Param(cmd, "@tenant", tenantId);
            return await ExecAsync(cmd, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task RotateApiKeyAsync(string tenantId, string oldKeyId, ApiKeyRecord replacement, DateTimeOffset graceUntil, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(oldKeyId);
        ArgumentNullException.ThrowIfNull(replacement);
        RequireApiKey(replacement);
        if (replacement.TenantId != tenantId)
        {
            throw new ArgumentException($"replacement key belongs to tenant '{replacement.TenantId}', not '{tenantId}'", nameof(replacement));
        }

        return WriteAsync(async (c, tx, ct) =>
        {
            var read = Command(c, tx, $"SELECT {ApiKeyColumns} FROM api_keys WHERE id = @id AND tenant_id = @tenant{LockRow}");
            Param(read, "@id", oldKeyId);
            Param(read, "@tenant", tenantId);
            var old = (await ReadApiKeysAsync(read, ct).ConfigureAwait(false)) is [var k] ? k
                : throw new JobStoreException($"API key {oldKeyId} of tenant {tenantId} does not exist");
            if (old.ReplacedBy is not null || old.RevokedAt is not null)
            {
                throw new JobStoreException($"API key {oldKeyId} is already {(old.ReplacedBy is not null ? $"replaced by {old.ReplacedBy}" : "revoked")}; rotate the current key instead");
            }

            // The replacement keeps the old key's display name unless the caller gave it its own.
            await InsertApiKeyAsync(c, tx, replacement with { Name = replacement.Name ?? old.Name }, ct).ConfigureAwait(false);
            var upd = Command(c, tx, "UPDATE api_keys SET grace_until = @grace, replaced_by = @new WHERE id = @id");
            Param(upd, "@grace", Ms(graceUntil));
            Param(upd, "@new", replacement.Id);
            Param(upd, "@id", oldKeyId);
            return await ExecAsync(upd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task AddFileAsync(FileRecord file, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        RequireTenant(file.TenantId);
        ArgumentException.ThrowIfNullOrEmpty(file.Id);
        if (file.Bytes < 0 || !Hex.IsSha256(file.Sha256))
        {
            throw new ArgumentException($"file {file.Id}: size must be ≥ 0 and sha256 64 lower-case hex characters", nameof(file));
        }

        var f = file with { CreatedAt = Trunc(file.CreatedAt) };
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx, $"INSERT INTO files ({FileColumns}) VALUES (@id, @tenant, @purpose, @name, @bytes, @sha, @path, @created) ON CONFLICT (id) DO NOTHING");
            Param(cmd, "@id", f.Id);
            Param(cmd, "@tenant", f.TenantId);
            Param(cmd, "@purpose", f.Purpose);
            Param(cmd, "@name", f.FileName);
            Param(cmd, "@bytes", f.Bytes);
            Param(cmd, "@sha", f.Sha256);
            Param(cmd, "@path", f.Path);
            Param(cmd, "@created", Ms(f.CreatedAt));
            if (await ExecAsync(cmd, ct).ConfigureAwait(false) == 1)
            {
                return 1;
            }

            var read = Command(c, tx, $"SELECT {FileColumns} FROM files WHERE id = @id");
            Param(read, "@id", f.Id);
            var existing = (await ReadFilesAsync(read, ct).ConfigureAwait(false))[0];
            if (existing with { CreatedAt = f.CreatedAt } != f)
            {
                throw new JobStoreException($"file id {f.Id} already exists with different content or owner");
            }

            return 0;
        }, ct);
    }

    public Task<FileRecord?> GetFileAsync(string tenantId, string fileId, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {FileColumns} FROM files WHERE id = @id AND tenant_id = @tenant");
            Param(cmd, "@id", fileId);
            Param(cmd, "@tenant", tenantId);
            return (await ReadFilesAsync(cmd, ct).ConfigureAwait(false)) is [var f] ? f : null;
        }, ct);
    }

    public Task<IReadOnlyList<FileRecord>> ListFilesAsync(string tenantId, string? purpose = null, int limit = 100, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        RequireLimit(limit);
        return ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, $"SELECT {FileColumns} FROM files WHERE tenant_id = @tenant"
                + (purpose is null ? "" : " AND purpose = @purpose") + " ORDER BY created_at DESC, id DESC LIMIT @limit");
            Param(cmd, "@tenant", tenantId);
            if (purpose is not null)
            {
                Param(cmd, "@purpose", purpose);
            }

            Param(cmd, "@limit", (long)limit);
            return await ReadFilesAsync(cmd, ct).ConfigureAwait(false);
        }, ct);
    }

    public Task<bool> DeleteFileAsync(string tenantId, string fileId, CancellationToken ct = default)
    {
        RequireTenant(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx, "DELETE FROM files WHERE id = @id AND tenant_id = @tenant");
            Param(cmd, "@id", fileId);
            Param(cmd, "@tenant", tenantId);
            return await ExecAsync(cmd, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    private static async Task<int> InsertApiKeyAsync(DbConnection c, DbTransaction tx, ApiKeyRecord key, CancellationToken ct)
    {
        var cmd = Command(c, tx,
            $"INSERT INTO api_keys ({ApiKeyColumns}) VALUES (@id, @tenant, @hash, @prefix, @scopes, @models, @created, @expires, @revoked, @grace, @replaced, @name)");
        Param(cmd, "@id", key.Id);
        Param(cmd, "@tenant", key.TenantId);
        Param(cmd, "@hash", key.KeyHash);
        Param(cmd, "@prefix", key.Prefix);
        Param(cmd, "@scopes", JsonSerializer.Serialize(key.Scopes));
        Param(cmd, "@models", JsonSerializer.Serialize(key.AllowedModels));
        Param(cmd, "@created", Ms(key.CreatedAt));
        Param(cmd, "@expires", Ms(key.ExpiresAt));
        Param(cmd, "@revoked", Ms(key.RevokedAt));
        Param(cmd, "@grace", Ms(key.RotationGraceUntil));
        Param(cmd, "@replaced", key.ReplacedBy);
        Param(cmd, "@name", key.Name);
        return await ExecAsync(cmd, ct).ConfigureAwait(false);
    }

    private static void RequireApiKey(ApiKeyRecord key)
    {
        RequireTenant(key.TenantId);
        if (string.IsNullOrEmpty(key.Id) || string.IsNullOrEmpty(key.KeyHash) || string.IsNullOrEmpty(key.Prefix))
        {
            throw new ArgumentException("API key id, hash and prefix must not be empty", nameof(key));
        }

        ArgumentNullException.ThrowIfNull(key.Scopes);
        ArgumentNullException.ThrowIfNull(key.AllowedModels);
    }

    private static async Task<IReadOnlyList<ApiKeyRecord>> ReadApiKeysAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<ApiKeyRecord>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new ApiKeyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                    JsonSerializer.Deserialize<string[]>(r.GetString(4)) ?? [],
                    JsonSerializer.Deserialize<string[]>(r.GetString(5)) ?? [],
                    At(r.GetInt64(6)), AtOrNull(r, 7), AtOrNull(r, 8), AtOrNull(r, 9), StringOrNull(r, 10), StringOrNull(r, 11)));
            }
        }

        return list;
    }

    private static async Task<IReadOnlyList<FileRecord>> ReadFilesAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<FileRecord>();
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new FileRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetString(5), r.GetString(6), At(r.GetInt64(7))));
            }
        }

        return list;
    }

    /// <summary>The INSERT of one audit row (single appends and batches share it); <paramref name="suffix"/> e.g. " RETURNING id".</summary>
    private static DbCommand AuditInsert(DbConnection c, DbTransaction tx, AuditRecord record, string suffix)
    {
        var cmd = Command(c, tx,
            "INSERT INTO audit (at, trace_id, key_prefix, tenant_id, endpoint, method, status, duration_ms, prompt_tokens, completion_tokens) "
            + "VALUES (@at, @trace, @prefix, @tenant, @endpoint, @method, @status, @duration, @prompt, @completion)" + suffix);
        Param(cmd, "@at", Ms(record.At));
        Param(cmd, "@trace", record.TraceId);
        Param(cmd, "@prefix", record.KeyPrefix);
        Param(cmd, "@tenant", record.TenantId);
        Param(cmd, "@endpoint", record.Endpoint);
        Param(cmd, "@method", record.Method);
        Param(cmd, "@status", (long)record.Status);
        Param(cmd, "@duration", record.DurationMs);
        Param(cmd, "@prompt", record.PromptTokens);
        Param(cmd, "@completion", record.CompletionTokens);
        return cmd;
    }
}
