namespace CyLlm.Jobs.Storage;

/// <summary>Tenant listing, key counting and batched audit appends.</summary>
public abstract partial class AdoJobStore
{
    public Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<TenantRecord>>(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT id, name, created_at, disabled FROM tenants ORDER BY id");
            var list = new List<TenantRecord>();
            await using (cmd.ConfigureAwait(false))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    list.Add(new TenantRecord(r.GetString(0), r.GetString(1), At(r.GetInt64(2)), r.GetInt64(3) != 0));
                }
            }

            return list;
        }, ct);

    public Task<long> CountApiKeysAsync(CancellationToken ct = default) =>
        ReadAsync((c, ct) => ScalarLongAsync(Command(c, null, "SELECT COUNT(*) FROM api_keys"), ct), ct);

    public Task AppendAuditBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
            if (string.IsNullOrEmpty(record.Endpoint) || string.IsNullOrEmpty(record.Method))
            {
                throw new ArgumentException("audit endpoint and method must not be empty", nameof(records));
            }
        }

        return WriteAsync(async (c, tx, ct) =>
        {
            // One prepared-shape INSERT per row inside one transaction: a batch costs one commit (one fsync in SQLite WAL).
            foreach (var record in records)
            {
                await ExecAsync(AuditInsert(c, tx, record, ""), ct).ConfigureAwait(false);
            }

            return records.Count;
        }, ct);
    }
}
