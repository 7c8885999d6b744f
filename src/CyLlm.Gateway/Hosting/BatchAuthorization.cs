using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Whether a batch's submitter may still run it: the tenant exists and is enabled, and the key that created it (when
/// one did: with auth off there is none) exists and is not revoked. A revoked key or a disabled tenant must stop its
/// batches, not only its new requests. Expiry and the end of a rotation's grace do not stop a running batch: the
/// submitter did not lose its rights (a rotated key's replacement holds the same ones). Answers are cached for the
/// authentication cache's time to live (<see cref="GatewayOptions.AuthCacheTtl"/>) on the server's clock, the same
/// bound within which the keys themselves stop working, so the runner may ask before every line.
/// </summary>
public sealed class BatchAuthorization(IJobStore store, TimeProvider time, TimeSpan ttl, string tenantId, string? keyId)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _checkedAt;
    private string? _answer;

    /// <summary>Null while the submitter may run the batch, else why not (one sentence, naming the key by its prefix).</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_checkedAt is { } at && now >= at && now - at < ttl)
            {
                return _answer;
            }
        }

        string? answer = await LookUpAsync(ct);
        lock (_gate)
        {
            _checkedAt = now;
            _answer = answer;
        }

        return answer;
    }

    private async Task<string?> LookUpAsync(CancellationToken ct)
    {
        var tenant = await store.GetTenantAsync(tenantId, ct);
        if (tenant is null)
        {
            // Auth off: requests act as a tenant that may never have been stored, and there is no key.
            return keyId is null ? null : $"the tenant '{tenantId}' that submitted the batch no longer exists";
        }

        if (tenant.Disabled)
        {
            return $"the tenant '{tenantId}' that submitted the batch is disabled";
        }

        if (keyId is null)
        {
            return null;
        }

        var key = (await store.ListApiKeysAsync(tenantId, ct)).FirstOrDefault(k => k.Id == keyId);
        if (key is null)
        {
            return $"the API key that submitted the batch no longer exists";
        }

        return key.RevokedAt is { } revoked && time.GetUtcNow() >= revoked
            ? $"the API key {key.Prefix}… that submitted the batch was revoked at {revoked:u}"
            : null;
    }
}
