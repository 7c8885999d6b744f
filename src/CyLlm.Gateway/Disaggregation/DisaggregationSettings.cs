using CyLlm.Engine.Disaggregation;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// Disaggregated serving settings of one gateway. Prefill and decode workers connect to the bootstrap registry at
/// <see cref="Bootstrap"/>; a router (role both with <see cref="PrefillWorkers"/> and <see cref="DecodeWorkers"/>)
/// hosts that registry there (or, with <see cref="BootstrapRedis"/>, workers meet in Redis) and sends each request to one worker of each kind with a fresh bootstrap room.
/// </summary>
public sealed record DisaggregationSettings
{
    public ServeRole Role { get; init; } = ServeRole.Both;

    /// <summary>The bootstrap registry: where workers connect, where a router listens.</summary>
    public KvEndpoint? Bootstrap { get; init; }

    /// <summary>
    /// The bootstrap registry in Redis instead (<c>--bootstrap redis://HOST:PORT</c>, or <c>--bootstrap redis</c> for the
    /// server of <c>--redis</c>): workers register and look up rooms there, so several routers can share the same
    /// workers and no router hosts a registry. Holds a password when the address does: log only
    /// <see cref="CyLlm.Gateway.RateLimits.RedisAddress.Redacted"/>.
    /// </summary>
    public string? BootstrapRedis { get; init; }

    /// <summary>How long a room lives in the Redis registry unless unregistered: twice the bootstrap timeout, so an
    /// entry outlives every decode worker's wait for it and a killed prefill worker's entries still vanish.</summary>
    public TimeSpan RegistryTtl => Transfer.BootstrapTimeout * 2;

    /// <summary>Whether a registry is configured at all (TCP or Redis).</summary>
    public bool HasRegistry => Bootstrap is not null || BootstrapRedis is not null;

    /// <summary>Prefill role: the address to listen on for KV connections (port 0 = any free one).</summary>
    public string KvHost { get; init; } = "127.0.0.1";

    public int KvPort { get; init; }

    /// <summary>Router: base URLs of prefill workers (e.g. http://10.0.0.2:8080), used round-robin.</summary>
    public IReadOnlyList<string> PrefillWorkers { get; init; } = [];

    /// <summary>Router: base URLs of decode workers, used round-robin.</summary>
    public IReadOnlyList<string> DecodeWorkers { get; init; } = [];

    /// <summary>Router: the API key sent to the workers (null when they run without auth).</summary>
    public string? WorkerApiKey { get; init; }

    public DisaggregationOptions Transfer { get; init; } = new();

    public bool IsRouter => Role == ServeRole.Both && PrefillWorkers.Count > 0 && DecodeWorkers.Count > 0;

    /// <summary>Every inconsistent setting, as one-line messages with the fix.</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        if (Bootstrap is not null && BootstrapRedis is not null)
        {
            problems.Add("give the bootstrap registry once: --bootstrap HOST:PORT (a router hosts it) or --bootstrap redis://HOST:PORT (shared in Redis)");
        }

        if (Role != ServeRole.Both && !HasRegistry)
        {
            problems.Add($"--role {Role.ToString().ToLowerInvariant()} needs --bootstrap HOST:PORT (the router's bootstrap registry) or --bootstrap redis://HOST:PORT");
        }

        if (Role == ServeRole.Both && (PrefillWorkers.Count > 0) != (DecodeWorkers.Count > 0))
        {
            problems.Add("a router needs both --prefill-worker and --decode-worker URLs");
        }

        if (IsRouter && !HasRegistry)
        {
            problems.Add("a router needs --bootstrap HOST:PORT to host the bootstrap registry on, or --bootstrap redis://HOST:PORT where its workers share one");
        }

        if (Role != ServeRole.Both && (PrefillWorkers.Count > 0 || DecodeWorkers.Count > 0))
        {
            problems.Add("--prefill-worker and --decode-worker are for the router (--role both)");
        }

        foreach (string url in PrefillWorkers.Concat(DecodeWorkers))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            {
                problems.Add($"worker URL '{url}' is not an absolute http(s) URL");
            }
        }

        if (KvPort is < 0 or > 65535)
        {
            problems.Add($"--kv-port {KvPort} is outside 0..65535");
        }

        return problems;
    }

    /// <summary>Parses a role name (prefill, decode, both); throws <see cref="ArgumentException"/> with the choices.</summary>
    public static ServeRole ParseRole(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "both" => ServeRole.Both,
        "prefill" => ServeRole.Prefill,
        "decode" => ServeRole.Decode,
        _ => throw new ArgumentException($"--role '{text}' is not one of prefill, decode, both"),
    };
}
