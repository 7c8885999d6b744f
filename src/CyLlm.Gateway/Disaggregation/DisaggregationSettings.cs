using CyLlm.Engine.Disaggregation;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// Disaggregated serving settings of one gateway. Prefill and decode workers connect to the bootstrap registry at
/// <see cref="Bootstrap"/>; a router (role both with <see cref="PrefillWorkers"/> and <see cref="DecodeWorkers"/>)
/// hosts that registry there and sends each request to one worker of each kind with a fresh bootstrap room.
/// </summary>
public sealed record DisaggregationSettings
{
    public ServeRole Role { get; init; } = ServeRole.Both;

    /// <summary>The bootstrap registry: where workers connect, where a router listens.</summary>
    public KvEndpoint? Bootstrap { get; init; }

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
        if (Role != ServeRole.Both && Bootstrap is null)
        {
            problems.Add($"--role {Role.ToString().ToLowerInvariant()} needs --bootstrap HOST:PORT (the router's bootstrap registry)");
        }

        if (Role == ServeRole.Both && (PrefillWorkers.Count > 0) != (DecodeWorkers.Count > 0))
        {
            problems.Add("a router needs both --prefill-worker and --decode-worker URLs");
        }

        if (IsRouter && Bootstrap is null)
        {
            problems.Add("a router needs --bootstrap HOST:PORT to host the bootstrap registry on");
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
