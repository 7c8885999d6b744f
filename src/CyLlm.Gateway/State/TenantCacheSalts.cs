using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace CyLlm.Gateway.State;

/// <summary>
/// Each tenant's prefix-cache salt: the first 8 bytes of HMAC-SHA256(server key, tenant id). The serving engine shares
/// cached KV blocks only between requests with the same salt, so one tenant never gets another's cached prefix — no
/// <c>cached_tokens</c>, no faster first token that would tell it another tenant sent the same text. The salt is
/// keyed so that nobody who can name a tenant (or reach a worker's internal routes) can compute its salt. The 32-byte
/// key lives in the data folder (<see cref="FileName"/>, owner-only), so restarts keep their cache hits meaningful and
/// routers that share a data folder (or a copy of the file) salt alike; a lost key only costs cache hits.
/// </summary>
public sealed class TenantCacheSalts
{
    public const string FileName = "prefix-cache.key";

    private const int KeyBytes = 32;

    private readonly byte[] _key;
    private readonly ConcurrentDictionary<string, long> _salts = new(StringComparer.Ordinal);

    public TenantCacheSalts(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"the prefix-cache key must be {KeyBytes} bytes (got {key.Length})", nameof(key));
        }

        _key = key;
    }

    /// <summary>The salts of the server whose data folder is <paramref name="dataDirectory"/>: its key file, created on first use.</summary>
    public static TenantCacheSalts Open(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            // Written aside and moved into place without overwriting, so two processes starting at once agree on one key.
            byte[] fresh = RandomNumberGenerator.GetBytes(KeyBytes);
            string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, create))
            {
                stream.Write(fresh);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }

        byte[] key = File.ReadAllBytes(path);
        return key.Length == KeyBytes ? new TenantCacheSalts(key)
            : throw new InvalidOperationException($"the prefix-cache key {path} holds {key.Length} bytes, not {KeyBytes}; delete it and a new one is created at start (cached prefixes are then simply recomputed)");
    }

    /// <summary>The salt of <paramref name="tenantId"/> (stable for this key).</summary>
    public long For(string tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return _salts.GetOrAdd(tenantId, static (id, key) =>
        {
            Span<byte> mac = stackalloc byte[32];
            HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(id), mac);
            return BitConverter.ToInt64(mac[..8]);
        }, _key);
    }
}
