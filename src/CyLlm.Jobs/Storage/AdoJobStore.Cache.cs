namespace CyLlm.Jobs.Storage;

/// <summary>Response cache rows: cache_key → value bytes, size, created_at, expires_at.</summary>
public abstract partial class AdoJobStore
{
    public Task<CachedResponse?> GetCachedResponseAsync(string key, CancellationToken ct = default)
    {
        RequireCacheKey(key);
        return ReadAsync<CachedResponse?>(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT value, created_at, expires_at FROM response_cache WHERE cache_key = @key AND expires_at > @now");
            Param(cmd, "@key", key);
            Param(cmd, "@now", NowMs());
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                return await r.ReadAsync(ct).ConfigureAwait(false)
                    ? new CachedResponse(key, (byte[])r.GetValue(0), At(r.GetInt64(1)), At(r.GetInt64(2)))
                    : null;
            }
        }, ct);
    }

    public Task PutCachedResponseAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, long maxTotalBytes, CancellationToken ct = default)
    {
        RequireCacheKey(key);
        if (maxTotalBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTotalBytes), maxTotalBytes, "the cache size limit must be positive");
        }

        if (value.Length > maxTotalBytes)
        {
            return Task.CompletedTask;
        }

        byte[] bytes = value.ToArray();
        return WriteAsync(async (c, tx, ct) =>
        {
            long now = NowMs();
            var put = Command(c, tx,
                "INSERT INTO response_cache (cache_key, value, size_bytes, created_at, expires_at) VALUES (@key, @value, @size, @now, @expires) "
                + "ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, size_bytes = excluded.size_bytes, created_at = excluded.created_at, expires_at = excluded.expires_at");
            Param(put, "@key", key);
            Param(put, "@value", bytes);
            Param(put, "@size", (long)bytes.Length);
            Param(put, "@now", now);
            Param(put, "@expires", Ms(expiresAt));
            await ExecAsync(put, ct).ConfigureAwait(false);

            var purge = Command(c, tx, "DELETE FROM response_cache WHERE expires_at <= @now");
            Param(purge, "@now", now);
            await ExecAsync(purge, ct).ConfigureAwait(false);

            long total = await ScalarLongAsync(Command(c, tx, "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM response_cache"), ct).ConfigureAwait(false);
            if (total <= maxTotalBytes)
            {
                return 0;
            }

            // Evict oldest first (never the entry just written) until the values fit the limit.
            var victims = new List<string>();
            var scan = Command(c, tx, "SELECT cache_key, size_bytes FROM response_cache WHERE cache_key <> @key ORDER BY created_at, cache_key");
            Param(scan, "@key", key);
            await using (scan.ConfigureAwait(false))
            {
                await using var r = await scan.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (total > maxTotalBytes && await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    victims.Add(r.GetString(0));
                    total -= r.GetInt64(1);
                }
            }

            foreach (string victim in victims)
            {
                var del = Command(c, tx, "DELETE FROM response_cache WHERE cache_key = @key");
                Param(del, "@key", victim);
                await ExecAsync(del, ct).ConfigureAwait(false);
            }

            return victims.Count;
        }, ct);
    }

    public Task<ResponseCacheStats> GetResponseCacheStatsAsync(CancellationToken ct = default) =>
        ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null,
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN expires_at <= @now THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM response_cache");
            Param(cmd, "@now", NowMs());
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                long entries = r.GetInt64(0), expired = r.GetInt64(1);
                return new ResponseCacheStats(entries - expired, expired, r.GetInt64(2));
            }
        }, ct);

    private static void RequireCacheKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 128)
        {
            throw new ArgumentException("cache key must be 1..128 characters", nameof(key));
        }
    }
}
