using System.Data.Common;

namespace CyLlm.Jobs.Storage;

/// <summary>Migrations, health facts, diagnostics and purging.</summary>
public abstract partial class AdoJobStore
{
    public Task<int> GetSchemaVersionAsync(CancellationToken ct = default) =>
        ReadAsync((c, ct) => ReadSchemaVersionAsync(c, null, ct), ct);

    public Task<int> MigrateAsync(CancellationToken ct = default) =>
        WriteAsync(async (c, tx, ct) =>
        {
            await LockForMigrationAsync(c, tx, ct).ConfigureAwait(false);
            await ExecAsync(Command(c, tx,
                $"CREATE TABLE IF NOT EXISTS {JobStoreSchema.MigrationsTable} (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"), ct).ConfigureAwait(false);
            int current = await ReadSchemaVersionAsync(c, tx, ct).ConfigureAwait(false);
            if (current > JobStoreSchema.CurrentVersion)
            {
                throw new SchemaOutOfDateException(Location, current, JobStoreSchema.CurrentVersion);
            }

            int applied = 0;
            foreach (var m in Migrations)
            {
                if (m.Version <= current)
                {
                    continue;
                }

                foreach (string sql in m.Statements)
                {
                    await ExecAsync(Command(c, tx, sql), ct).ConfigureAwait(false);
                }

                var rec = Command(c, tx, $"INSERT INTO {JobStoreSchema.MigrationsTable} (version, name, applied_at) VALUES (@v, @n, @at)");
                Param(rec, "@v", (long)m.Version);
                Param(rec, "@n", m.Name);
                Param(rec, "@at", NowMs());
                await ExecAsync(rec, ct).ConfigureAwait(false);
                applied++;
            }

            return applied;
        }, ct);

    /// <summary>Applies <see cref="JobStoreOptions.SchemaMode"/> right after opening.</summary>
    protected async Task ApplySchemaModeAsync(CancellationToken ct)
    {
        switch (Options.SchemaMode)
        {
            case SchemaMode.Migrate:
                await MigrateAsync(ct).ConfigureAwait(false);
                break;
            case SchemaMode.Verify:
                int v = await GetSchemaVersionAsync(ct).ConfigureAwait(false);
                if (v != JobStoreSchema.CurrentVersion)
                {
                    throw new SchemaOutOfDateException(Location, v, JobStoreSchema.CurrentVersion);
                }

                break;
        }
    }

    public Task<StoreHealthInfo> GetHealthInfoAsync(CancellationToken ct = default) =>
        ReadAsync(async (c, ct) =>
        {
            var facts = await ReadHealthFactsAsync(c, ct).ConfigureAwait(false);
            var tables = await ListTablesAsync(c, ct).ConfigureAwait(false);
            var missing = new List<string>();
            foreach (string t in JobStoreSchema.Tables)
            {
                if (!Contains(tables, t))
                {
                    missing.Add(t);
                }
            }

            int version = Contains(tables, JobStoreSchema.MigrationsTable) ? await ReadSchemaVersionAsync(c, null, ct).ConfigureAwait(false) : 0;
            return new StoreHealthInfo(Provider, facts.JournalMode, facts.BusyTimeoutMs, version, JobStoreSchema.CurrentVersion, missing, facts.DataDirectory, Location);
        }, ct);

    public async Task<StoreDiagnostics> GetDiagnosticsAsync(TaskId? focus = null, CancellationToken ct = default)
    {
        var (settings, counts, checkpoints, leases, idem) = await ReadAsync(async (c, ct) =>
        {
            var settings = await ReadSettingsAsync(c, ct).ConfigureAwait(false);
            var tables = await ListTablesAsync(c, ct).ConfigureAwait(false);
            var counts = new Dictionary<string, long>();
            foreach (string t in JobStoreSchema.Tables)
            {
                // Table names come from the fixed schema list, never from input.
                counts[t] = Contains(tables, t) ? await ScalarLongAsync(Command(c, null, $"SELECT COUNT(*) FROM {t}"), ct).ConfigureAwait(false) : -1;
            }

            var cpCmd = Command(c, null, focus is null
                ? "SELECT task_id, step, path, size_bytes, sha256, created_at, owner FROM checkpoints ORDER BY created_at DESC LIMIT 50"
                : "SELECT task_id, step, path, size_bytes, sha256, created_at, owner FROM checkpoints WHERE task_id = @id ORDER BY step");
            if (focus is { } f)
            {
                Param(cpCmd, "@id", f.Value);
            }

            var checkpoints = Contains(tables, "checkpoints") ? await ReadCheckpointsAsync(cpCmd, ct).ConfigureAwait(false) : [];
            var leases = Contains(tables, "leases")
                ? await ReadLeasesAsync(Command(c, null, "SELECT task_id, owner, epoch, acquired_at, heartbeat_at, expires_at FROM leases ORDER BY expires_at DESC LIMIT 100"), ct).ConfigureAwait(false)
                : [];
            var idem = new IdempotencyStats(0, 0, 0, 0);
            if (Contains(tables, "idempotency_keys"))
            {
                var ic = Command(c, null,
                    "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN state = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END), 0) AS BIGINT), "
                    + "CAST(COALESCE(SUM(CASE WHEN expires_at <= @now THEN 1 ELSE 0 END), 0) AS BIGINT) FROM idempotency_keys");
                Param(ic, "@now", NowMs());
                await using (ic.ConfigureAwait(false))
                {
                    await using var r = await ic.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await r.ReadAsync(ct).ConfigureAwait(false);
                    idem = new IdempotencyStats(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
                }
            }

            return (settings, counts, checkpoints, leases, idem);
        }, ct).ConfigureAwait(false);

        bool hasEvents = counts.TryGetValue("task_events", out long n) && n >= 0;
        var recent = hasEvents ? await GetRecentEventsAsync(50, ct).ConfigureAwait(false) : [];
        TaskRecord? focusTask = null;
        IReadOnlyList<TaskEvent> history = [];
        if (focus is { } id && hasEvents)
        {
            focusTask = await GetTaskAsync(id, ct).ConfigureAwait(false);
            history = await GetTaskHistoryAsync(id, ct).ConfigureAwait(false);
        }

        int version = counts[JobStoreSchema.MigrationsTable] >= 0 ? await GetSchemaVersionAsync(ct).ConfigureAwait(false) : 0;
        return new StoreDiagnostics(Provider, Location, version, settings, counts, recent, checkpoints, leases, idem, focusTask, history);
    }

    public Task<PurgeReport> PurgeExpiredAsync(CancellationToken ct = default) =>
        WriteAsync(async (c, tx, ct) =>
        {
            long now = NowMs();
            var idem = Command(c, tx, "DELETE FROM idempotency_keys WHERE expires_at <= @now");
            Param(idem, "@now", now);
            long keys = await ExecAsync(idem, ct).ConfigureAwait(false);
            var cache = Command(c, tx, "DELETE FROM response_cache WHERE expires_at <= @now");
            Param(cache, "@now", now);
            long entries = await ExecAsync(cache, ct).ConfigureAwait(false);

            // Only leases of finished tasks go: a live task's lease row carries its epoch, which must never restart.
            var leases = Command(c, tx, "DELETE FROM leases WHERE expires_at <= @old AND task_id IN (SELECT id FROM tasks WHERE status IN (2, 3, 4))");
            Param(leases, "@old", now - 3_600_000);
            long gone = await ExecAsync(leases, ct).ConfigureAwait(false);

            // Chunks of blob writes that never completed (a killed writer): no blobs row names their generation.
            var chunks = Command(c, tx, "DELETE FROM blob_chunks WHERE created_at <= @old AND NOT EXISTS "
                + "(SELECT 1 FROM blobs b WHERE b.id = blob_chunks.blob_id AND b.generation = blob_chunks.generation)");
            Param(chunks, "@old", now - 3_600_000);
            await ExecAsync(chunks, ct).ConfigureAwait(false);
            return new PurgeReport(keys, entries, gone);
        }, ct);

    private static async Task<int> ReadSchemaVersionAsync(DbConnection c, DbTransaction? tx, CancellationToken ct)
    {
        try
        {
            return (int)await ScalarLongAsync(Command(c, tx, $"SELECT COALESCE(MAX(version), 0) FROM {JobStoreSchema.MigrationsTable}"), ct).ConfigureAwait(false);
        }
        catch (DbException) when (tx is null)
        {
            // No migrations table yet: an empty database is version 0.
            return 0;
        }
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
