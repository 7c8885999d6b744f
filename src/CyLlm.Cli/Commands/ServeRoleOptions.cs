using System.CommandLine;
using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Cli.Commands;

/// <summary>
/// `cyllm serve` options for disaggregated serving (docs/disaggregation.md): <c>--role prefill|decode|both</c>, the
/// bootstrap registry, the KV port, and for a router its workers.
/// </summary>
internal sealed class ServeRoleOptions
{
    private readonly Option<string> _role = new("--role") { Description = "prefill | decode | both (co-located, or the router when --prefill-worker/--decode-worker are given)", DefaultValueFactory = _ => "both" };
    private readonly Option<string?> _bootstrap = new("--bootstrap") { Description = "bootstrap registry: HOST:PORT (workers connect to it, a router listens on it), redis://HOST:PORT or rediss://... (shared in Redis: several routers, none hosts it), or redis (the server of --redis)" };
    private readonly Option<string> _kvHost = new("--kv-host") { Description = "prefill role: address to accept KV connections on", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<int> _kvPort = new("--kv-port") { Description = "prefill role: KV transfer port (0 = any free port)" };
    private readonly Option<string[]> _prefillWorkers = new("--prefill-worker") { Description = "router: a prefill worker's base URL (repeatable)", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string[]> _decodeWorkers = new("--decode-worker") { Description = "router: a decode worker's base URL (repeatable)", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _workerKey = new("--worker-api-key") { Description = "router: worker-scope API key to send to the workers (visible in the process list: prefer --worker-api-key-file or CYLLM_WORKER_API_KEY)" };
    private readonly Option<string?> _workerKeyFile = new("--worker-api-key-file") { Description = "router: file holding the worker-scope API key to send to the workers (or CYLLM_WORKER_API_KEY)" };
    private readonly Option<string[]> _workers = new("--workers") { Description = "serve the model through these remote engine workers (cyllm serve processes): comma-separated base URLs, repeatable (Gateway:Workers:Urls); the model file here is used for its tokenizer and chat template only", AllowMultipleArgumentsPerToken = false };
    private readonly Option<double?> _workerHeartbeat = new("--worker-heartbeat") { Description = "--workers: seconds between heartbeat polls of each worker, also each poll's limit (Gateway:Workers:HeartbeatInterval; default 1)" };
    private readonly Option<int?> _workerMisses = new("--worker-misses") { Description = "--workers: missed heartbeats in a row after which a worker is marked down (Gateway:Workers:MissedHeartbeats; default 3)" };
    private readonly Func<string, string?> _environment;
    private readonly Option<double> _heartbeat = new("--kv-heartbeat") { Description = "seconds between heartbeats on KV connections", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> _fallback = new("--kv-fallback") { Description = "decode role: generate co-located when a KV transfer fails instead of returning the error" };
    private readonly Option<string?> _secretFile = new("--kv-secret-file") { Description = "file holding the workers' shared secret (at least 16 bytes; or CYLLM_KV_SECRET): every KV and registry connection proves it" };

    /// <summary>The environment variable that may hold the workers' shared secret instead of a file.</summary>
    public const string SecretVariable = "CYLLM_KV_SECRET";

    /// <summary>The environment variable that may hold the router's worker API key instead of the command line.</summary>
    public const string WorkerKeyVariable = "CYLLM_WORKER_API_KEY";

    /// <param name="environment">Reads an environment variable; tests pass their own so they never touch the process's.</param>
    public ServeRoleOptions(Func<string, string?>? environment = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_role);
        command.Options.Add(_bootstrap);
        command.Options.Add(_kvHost);
        command.Options.Add(_kvPort);
        command.Options.Add(_prefillWorkers);
        command.Options.Add(_decodeWorkers);
        command.Options.Add(_workers);
        command.Options.Add(_workerHeartbeat);
        command.Options.Add(_workerMisses);
        command.Options.Add(_workerKey);
        command.Options.Add(_workerKeyFile);
        command.Options.Add(_heartbeat);
        command.Options.Add(_fallback);
        command.Options.Add(_secretFile);
    }

    /// <summary>The workers' shared secret from --kv-secret-file or CYLLM_KV_SECRET (never from the command line, which
    /// other users of the host can read); empty when neither is given.</summary>
    private ReadOnlyMemory<byte> Secret(ParseResult parse)
    {
        byte[] secret;
        if (parse.GetValue(_secretFile) is { } file)
        {
            try
            {
                secret = System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(file).Trim());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--kv-secret-file {file}: {ex.Message}");
            }
        }
        else if (_environment(SecretVariable) is { Length: > 0 } text)
        {
            secret = System.Text.Encoding.UTF8.GetBytes(text.Trim());
        }
        else
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (secret.Length < 16)
        {
            throw new ArgumentException($"the workers' shared secret is {secret.Length} bytes; use at least 16 (e.g. openssl rand -hex 32)");
        }

        return secret;
    }

    /// <summary>The router's worker API key from --worker-api-key-file, CYLLM_WORKER_API_KEY or --worker-api-key (in
    /// that order of preference; a file or the environment keep it out of the process list that every user of the host
    /// can read); null when none is given. Surrounding white space (a file's trailing newline) is not part of the key.</summary>
    public string? WorkerApiKey(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        string? inline = parse.GetValue(_workerKey);
        if (parse.GetValue(_workerKeyFile) is { } file)
        {
            if (inline is not null)
            {
                throw new ArgumentException("give either --worker-api-key or --worker-api-key-file, not both");
            }

            string text;
            try
            {
                text = File.ReadAllText(file).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--worker-api-key-file {file}: {ex.Message}");
            }

            return text.Length > 0 ? text : throw new ArgumentException($"--worker-api-key-file {file} is empty; put the worker key in it (cyllm keys create --scope worker)");
        }

        if (inline is not null)
        {
            return inline.Trim() is { Length: > 0 } key ? key : throw new ArgumentException("--worker-api-key is empty");
        }

        return _environment(WorkerKeyVariable) is { } env && env.Trim() is { Length: > 0 } fromEnv ? fromEnv : null;
    }

    /// <summary>
    /// The remote engine workers: the typed --workers, --worker-heartbeat and --worker-misses over what the settings file
    /// and environment configured (Gateway:Workers), and the worker API key when the configuration holds none. Validated
    /// with the other settings by <see cref="GatewayOptions.Validate"/>.
    /// </summary>
    private GatewayOptions ApplyWorkers(ParseResult parse, GatewayOptions options)
    {
        var workers = options.Workers ?? new CyLlm.Gateway.Workers.WorkerSettings();
        if (parse.GetValue(_workers) is { Length: > 0 } urls)
        {
            workers = workers with { Urls = urls };
        }

        if (parse.GetValue(_workerHeartbeat) is { } beat)
        {
            workers = workers with
            {
                HeartbeatInterval = beat > 0 && beat <= 60 ? TimeSpan.FromSeconds(beat) : throw new ArgumentException($"--worker-heartbeat {beat} must be a number of seconds above 0 and at most 60"),
            };
        }

        if (parse.GetValue(_workerMisses) is { } misses)
        {
            workers = workers with { MissedHeartbeats = misses };
        }

        if (!workers.Enabled)
        {
            return options;
        }

        workers = workers with { ApiKey = workers.ApiKey ?? WorkerApiKey(parse) };
        var problems = new List<string>();
        workers.Validate(problems);
        return problems.Count > 0 ? throw new ArgumentException(string.Join("; ", problems)) : options with { Workers = workers };
    }

    /// <summary>Adds the role settings to <paramref name="options"/>; throws <see cref="ArgumentException"/> (one line) when they do not fit together.</summary>
    public GatewayOptions Apply(ParseResult parse, GatewayOptions options)
    {
        options = ApplyWorkers(parse, options);
        var role = DisaggregationSettings.ParseRole(parse.GetValue(_role));
        string? bootstrap = parse.GetValue(_bootstrap);
        double heartbeat = parse.GetValue(_heartbeat);
        if (heartbeat <= 0 || double.IsNaN(heartbeat))
        {
            throw new ArgumentException($"--kv-heartbeat {heartbeat} must be a positive number of seconds");
        }

        KvEndpoint? endpoint = null;
        string? redis = null;
        try
        {
            if (bootstrap is not null && bootstrap.Trim().Equals("redis", StringComparison.OrdinalIgnoreCase))
            {
                // The server of --redis (or Gateway:RateLimits:Redis, CYLLM_Gateway__RateLimits__Redis): a password stays off the command line.
                redis = options.RateLimits.Redis ?? throw new ArgumentException("--bootstrap redis needs --redis HOST:PORT (or Gateway:RateLimits:Redis)");
            }
            else if (bootstrap is not null && (bootstrap.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || bootstrap.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)))
            {
                _ = CyLlm.Gateway.RateLimits.RedisAddress.Parse(bootstrap); // a bad URL is one line now, not a failed registration later
                redis = bootstrap;
            }
            else
            {
                endpoint = bootstrap is null ? null : KvEndpoint.Parse(bootstrap);
            }
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"--bootstrap: {ex.Message}");
        }

        var settings = new DisaggregationSettings
        {
            Role = role,
            Bootstrap = endpoint,
            BootstrapRedis = redis,
            KvHost = parse.GetValue(_kvHost)!,
            KvPort = parse.GetValue(_kvPort),
            PrefillWorkers = parse.GetValue(_prefillWorkers) ?? [],
            DecodeWorkers = parse.GetValue(_decodeWorkers) ?? [],
            WorkerApiKey = WorkerApiKey(parse),
            Transfer = new DisaggregationOptions { HeartbeatInterval = TimeSpan.FromSeconds(heartbeat), FallbackToColocated = parse.GetValue(_fallback), SharedSecret = Secret(parse) },
        };
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }

        if (role == ServeRole.Both && !settings.IsRouter)
        {
            return options; // plain co-located serving
        }

        if (settings.Transfer.SharedSecret.IsEmpty)
        {
            Console.Error.WriteLine("warning: no --kv-secret-file or CYLLM_KV_SECRET: KV transfer and bootstrap registry connections are not authenticated; anyone who can reach those ports can join (docs/security.md)");
        }

        options = options with { Disaggregation = settings };
        if (settings.IsRouter)
        {
            // The router tokenizes locally and generates on the workers.
            var o = options;
            options = options with
            {
                BackendFactory = () => new DisaggregatedBackend(
                    new EngineBackend(
                        CyLlm.Engine.InferenceEngine.Load(o.ModelPath!, o.TokenizerPath, new CyLlm.Engine.EngineOptions { Threads = o.Threads, ContextTokens = o.ContextTokens, ChatTemplate = o.ChatTemplate }),
                        o.ModelId ?? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(o.ModelPath!))),
                    settings,
                    o.RequestTimeout),
            };
        }

        return options;
    }
}
