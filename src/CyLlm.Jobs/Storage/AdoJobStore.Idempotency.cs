namespace CyLlm.Jobs.Storage;

/// <summary>Idempotency keys: (tenant, key) → request hash, state (0 in progress, 1 completed), stored response, expiry.</summary>
public abstract partial class AdoJobStore
{
    private const int MaxKeyLength = 255;

    public Task<IdempotencyBegin> TryBeginIdempotentAsync(string tenantId, string key, string requestHash, TimeSpan ttl, CancellationToken ct = default)
    {
        RequireIdempotency(tenantId, key, requestHash);
        RequirePositive(ttl, nameof(ttl));
        return WriteAsync(async (c, tx, ct) =>
        {
            long now = NowMs();
            long expires = now + (long)ttl.TotalMilliseconds;
            var ins = Command(c, tx,
                "INSERT INTO idempotency_keys (tenant_id, idem_key, request_hash, state, status_code, response, created_at, locked_at, completed_at, expires_at) "
                + "VALUES (@tenant, @key, @hash, 0, NULL, NULL, @now, @now, NULL, @expires) ON CONFLICT (tenant_id, idem_key) DO NOTHING");
            BindKey(ins, tenantId, key);
            Param(ins, "@hash", requestHash);
            Param(ins, "@now", now);
            Param(ins, "@expires", expires);
            if (await ExecAsync(ins, ct).ConfigureAwait(false) == 1)
            {
                return new IdempotencyBegin(IdempotencyOutcome.New, null, null, At(expires));
            }

            var read = Command(c, tx,
                $"SELECT request_hash, state, status_code, response, locked_at, expires_at FROM idempotency_keys WHERE tenant_id = @tenant AND idem_key = @key{LockRow}");
            BindKey(read, tenantId, key);
            string hash;
            long state, lockedAt, oldExpires;
            int? status;
            string? response;
            await using (read.ConfigureAwait(false))
            {
                await using var r = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    throw new JobStoreException($"idempotency key '{key}' vanished inside its transaction");
                }

                hash = r.GetString(0);
                state = r.GetInt64(1);
                status = r.IsDBNull(2) ? null : (int)r.GetInt64(2);
                response = StringOrNull(r, 3);
                lockedAt = r.GetInt64(4);
                oldExpires = r.GetInt64(5);
            }

            bool expired = oldExpires <= now;
            bool abandoned = state == 0 && lockedAt + (long)Options.IdempotencyInProgressTimeout.TotalMilliseconds <= now;
            if (expired || abandoned)
            {
                var take = Command(c, tx,
                    "UPDATE idempotency_keys SET request_hash = @hash, state = 0, status_code = NULL, response = NULL, created_at = @now, locked_at = @now, completed_at = NULL, expires_at = @expires "
                    + "WHERE tenant_id = @tenant AND idem_key = @key");
                Param(take, "@hash", requestHash);
                Param(take, "@now", now);
                Param(take, "@expires", expires);
                BindKey(take, tenantId, key);
                await ExecAsync(take, ct).ConfigureAwait(false);
                return new IdempotencyBegin(IdempotencyOutcome.New, null, null, At(expires));
            }

            if (hash != requestHash)
            {
                return new IdempotencyBegin(IdempotencyOutcome.Conflict, null, null, At(oldExpires));
            }

            return state == 0
                ? new IdempotencyBegin(IdempotencyOutcome.InProgress, null, null, At(oldExpires))
                : new IdempotencyBegin(IdempotencyOutcome.Replay, status, response, At(oldExpires));
        }, ct);
    }

    public Task<bool> CompleteIdempotentAsync(string tenantId, string key, string requestHash, int statusCode, string response, CancellationToken ct = default)
    {
        RequireIdempotency(tenantId, key, requestHash);
        ArgumentNullException.ThrowIfNull(response);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx,
                "UPDATE idempotency_keys SET state = 1, status_code = @status, response = @response, completed_at = @now "
                + "WHERE tenant_id = @tenant AND idem_key = @key AND request_hash = @hash AND state = 0");
            Param(cmd, "@status", (long)statusCode);
            Param(cmd, "@response", response);
            Param(cmd, "@now", NowMs());
            BindKey(cmd, tenantId, key);
            Param(cmd, "@hash", requestHash);
            return await ExecAsync(cmd, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task<bool> AbandonIdempotentAsync(string tenantId, string key, string requestHash, CancellationToken ct = default)
    {
        RequireIdempotency(tenantId, key, requestHash);
        return WriteAsync(async (c, tx, ct) =>
        {
            var cmd = Command(c, tx, "DELETE FROM idempotency_keys WHERE tenant_id = @tenant AND idem_key = @key AND request_hash = @hash AND state = 0");
            BindKey(cmd, tenantId, key);
            Param(cmd, "@hash", requestHash);
            return await ExecAsync(cmd, ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    private static void BindKey(System.Data.Common.DbCommand cmd, string tenantId, string key)
    {
        Param(cmd, "@tenant", tenantId);
        Param(cmd, "@key", key);
    }

    private static void RequireIdempotency(string tenantId, string key, string requestHash)
    {
        RequireTenant(tenantId);
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"idempotency key must be 1..{MaxKeyLength} characters", nameof(key));
        }

        if (string.IsNullOrEmpty(requestHash) || requestHash.Length > 128)
        {
            throw new ArgumentException("request hash must be 1..128 characters", nameof(requestHash));
        }
    }
}
