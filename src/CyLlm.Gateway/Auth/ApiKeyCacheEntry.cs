using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Auth;

/// <summary>What the store said about one key hash at <paramref name="FetchedAt"/> (Key null = unknown key).</summary>
/// <param name="Caller">Built once per fetch, so a cache hit allocates nothing.</param>
internal sealed record ApiKeyCacheEntry(ApiKeyRecord? Key, TenantRecord? Tenant, DateTimeOffset FetchedAt, Caller? Caller);
