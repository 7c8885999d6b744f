namespace CyLlm.Jobs.Storage;

/// <summary>Operator views over tenants and keys, and batched audit writes (the gateway's background audit writer).</summary>
public partial interface IJobStore
{
    /// <summary>All tenants, ordered by id (operator listing; tenants are few).</summary>
    Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken ct = default);

    /// <summary>Number of stored API keys of every tenant, usable or not (0 = a fresh install: the gateway prints how to create one).</summary>
    Task<long> CountApiKeysAsync(CancellationToken ct = default);

    /// <summary>Appends audit rows in one transaction (ids assigned by the store and not returned); empty is a no-op.</summary>
    Task AppendAuditBatchAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct = default);
}
