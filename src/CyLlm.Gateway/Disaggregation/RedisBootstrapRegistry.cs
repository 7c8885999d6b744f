using System.Globalization;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.RateLimits;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The bootstrap registry in Redis (<c>--bootstrap redis://HOST:PORT</c> or <c>--bootstrap redis</c>): prefill
/// workers write <c>PREFIX{room as 16 hex digits}</c> = <c>"host:port"</c> with a time to live, decode workers read
/// it. Several routers in front of the same workers then share one registry and none of them hosts a
/// <see cref="BootstrapServer"/>. The TTL stands in for the TCP registry's "rooms leave with their connection": a
/// prefill worker killed before it unregisters leaves an entry that vanishes by itself.
/// <para>
/// Anything in Redis is input from whoever else can write there: a value that is not a "host:port" this process would
/// have written (wrong type, too long, a bad port) is logged and read as "not registered" — the decode side then waits
/// out its bootstrap timeout — never a crash. Redis failures surface as <see cref="IOException"/>, the registry failure
/// the prefill and decode sides already handle for the TCP registry.
/// </para>
/// </summary>
public sealed class RedisBootstrapRegistry : IBootstrapRegistry, IDisposable
{
    /// <summary>Key prefix: namespaced so the registry shares a Redis with the rate limits (cyllm:rl:) and other users.</summary>
    public const string DefaultPrefix = "cyllm:kv:room:";

    // "host:port" with a DNS name of at most 253 bytes: the TCP registry's own limit (BootstrapMessage.MaxHostBytes) plus ":65535".
    private const int MaxValueBytes = BootstrapMessage.MaxHostBytes + 6;

    // The connection as it is being made: a worker creates the registry on its first request, which must not block a
    // thread while Redis is slow or down (the multiplexer keeps reconnecting in the background after its first try).
    private readonly Task<IConnectionMultiplexer> _redis;
    private readonly bool _ownsConnection;
    private readonly string _prefix;
    private readonly ILogger _log;

    // Rooms whose bad entry was logged: the decode side polls a room every few ms until its bootstrap timeout, and one
    // line per room says it all. Bounded: cleared when full (a flood of bad rooms then logs again, rarely).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RoomId, byte> _reported = new();
    private const int MaxReported = 4096;

    public RedisBootstrapRegistry(IConnectionMultiplexer redis, TimeSpan ttl, string prefix = DefaultPrefix, ILogger? log = null, bool ownsConnection = false)
        : this(Task.FromResult(redis ?? throw new ArgumentNullException(nameof(redis))), ttl, prefix, log, ownsConnection)
    {
    }

    private RedisBootstrapRegistry(Task<IConnectionMultiplexer> redis, TimeSpan ttl, string prefix, ILogger? log, bool ownsConnection)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        _redis = redis;
        Ttl = ttl;
        _prefix = prefix;
        _log = log ?? NullLogger.Instance;
        _ownsConnection = ownsConnection;
    }

    /// <summary>Longest wait for one Redis command, a (re)connection included; then the room fails with an <see cref="IOException"/>.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a registration lives unless unregistered first.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Connects to <paramref name="address"/> (any form <see cref="RedisAddress"/> accepts). Does not fail when
    /// Redis is down: registrations and lookups then fail with <see cref="IOException"/> until it comes up.</summary>
    public static RedisBootstrapRegistry Connect(string address, TimeSpan ttl, string prefix = DefaultPrefix, ILogger? log = null)
    {
        var config = RedisAddress.Parse(address);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = (int)CommandTimeout.TotalMilliseconds;
        config.SyncTimeout = (int)CommandTimeout.TotalMilliseconds;
        config.AsyncTimeout = (int)CommandTimeout.TotalMilliseconds;
        // Unlike the rate limiter (which must answer at once and fails open or closed), a room can wait a moment: commands
        // issued while the connection is still being made (the worker's first request) or re-made are queued until it is
        // up or CommandTimeout passes, instead of failing the room at once.
        config.BacklogPolicy = BacklogPolicy.Default;
        return new RedisBootstrapRegistry(ConnectAsync(config), ttl, prefix, log, ownsConnection: true);
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(ConfigurationOptions config) => await ConnectionMultiplexer.ConnectAsync(config);

    /// <summary>The key of <paramref name="room"/> (tests write hostile values there).</summary>
    public string KeyOf(RoomId room) => _prefix + room.Value.ToString("x16", CultureInfo.InvariantCulture);

    public async Task RegisterAsync(RoomId room, KvEndpoint prefill, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string value = prefill.ToString();
        if (value.Length > MaxValueBytes)
        {
            throw new ArgumentException($"the KV address {value} is longer than {MaxValueBytes} characters");
        }

        await Run(db => db.StringSetAsync(KeyOf(room), value, Ttl), "register", room);
    }

    public async Task<KvEndpoint?> LookupAsync(RoomId room, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue value;
        try
        {
            value = await Run(db => db.StringGetAsync(KeyOf(room)), "look up", room);
        }
        catch (IOException ex) when (ex.InnerException is RedisServerException { Message: var m } && m.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            Report(room, "holds a value that is not a string");
            return null;
        }

        return value.IsNull ? null : Parse(room, value);
    }

    public async Task UnregisterAsync(RoomId room, CancellationToken cancellationToken) =>
        await Run(db => db.KeyDeleteAsync(KeyOf(room)), "unregister", room);

    /// <summary>A value this registry would have written, or null (logged) for anything else.</summary>
    private KvEndpoint? Parse(RoomId room, RedisValue value)
    {
        byte[]? raw = value;
        if (raw is null || raw.Length == 0 || raw.Length > MaxValueBytes)
        {
            Report(room, $"holds {raw?.Length ?? 0} bytes, not a host:port");
            return null;
        }

        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(raw);
        }
        catch (ArgumentException)
        {
            Report(room, "is not UTF-8");
            return null;
        }

        try
        {
            var endpoint = KvEndpoint.Parse(text);
            if (endpoint.Port == 0 || endpoint.Host.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                throw new FormatException($"'{text}' is not an address a prefill worker listens on");
            }

            return endpoint;
        }
        catch (FormatException ex)
        {
            // The value is shown: it is an address-sized string (checked above) and the operator needs to see it.
            Report(room, $"holds a malformed address ({ex.Message})");
            return null;
        }
    }

    /// <summary>One warning per room for a bad entry (the lookup that meets it is repeated until the room times out).</summary>
    private void Report(RoomId room, string problem)
    {
        if (_reported.Count >= MaxReported)
        {
            _reported.Clear();
        }

        if (_reported.TryAdd(room, 0))
        {
            _log.LogWarning("bootstrap registry: {Key} {Problem}; ignored, the room is treated as not registered ({Room})", KeyOf(room), problem, room);
        }
    }

    private async Task<T> Run<T>(Func<IDatabase, Task<T>> call, string what, RoomId room)
    {
        try
        {
            var redis = await _redis.WaitAsync(CommandTimeout);
            return await call(redis.GetDatabase());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new IOException($"the Redis bootstrap registry could not {what} {room}: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _ = _redis.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }
}
