using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Jobs.Storage;

/// <summary>Runs a creating request at most once per (tenant, Idempotency-Key), replaying its stored response afterwards.</summary>
public static class IdempotentRequest
{
    /// <summary>Hex SHA-256 of method, path and body (separated so that no two different requests collide by concatenation).</summary>
    public static string Hash(string method, string path, ReadOnlySpan<byte> body)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[8];
        foreach (string part in (ReadOnlySpan<string>)[method.ToUpperInvariant(), path])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(part);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(len, bytes.Length);
            h.AppendData(len);
            h.AppendData(bytes);
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(len, body.Length);
        h.AppendData(len);
        h.AppendData(body);
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>
    /// New key: runs <paramref name="create"/>, stores its response and returns it. Replay: returns the stored response.
    /// Different body or still running: throws <see cref="IdempotencyKeyException"/>. If <paramref name="create"/> throws,
    /// the key is released so the client may retry.
    /// </summary>
    public static async Task<IdempotentResult> ExecuteAsync(IJobStore store, string tenantId, string key, string requestHash, TimeSpan ttl,
        Func<CancellationToken, Task<(int StatusCode, string Body)>> create, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(create);
        var begin = await store.TryBeginIdempotentAsync(tenantId, key, requestHash, ttl, ct).ConfigureAwait(false);
        switch (begin.Outcome)
        {
            case IdempotencyOutcome.Replay:
                return new IdempotentResult(begin.StatusCode ?? 200, begin.Response ?? "", Replayed: true);
            case IdempotencyOutcome.Conflict:
            case IdempotencyOutcome.InProgress:
                throw new IdempotencyKeyException(key, begin.Outcome);
        }

        (int status, string body) response;
        try
        {
            response = await create(ct).ConfigureAwait(false);
        }
        catch
        {
            await store.AbandonIdempotentAsync(tenantId, key, requestHash, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (!await store.CompleteIdempotentAsync(tenantId, key, requestHash, response.status, response.body, ct).ConfigureAwait(false))
        {
            throw new JobStoreException($"Idempotency-Key '{key}' was taken over before its response could be stored (the request ran longer than the in-progress timeout)");
        }

        return new IdempotentResult(response.status, response.body, Replayed: false);
    }
}
