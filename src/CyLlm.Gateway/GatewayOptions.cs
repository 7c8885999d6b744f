using CyLlm.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway;

/// <summary>How a gateway is composed: the model, where it listens, and its limits.</summary>
public sealed record GatewayOptions
{
    /// <summary>
    /// Several base models served side by side (repeated <c>--model</c>; a folder stands for its GGUF files); the
    /// first is the default. When set, it replaces <see cref="ModelPath"/>. KV budgets and queues are per model.
    /// Configured as <c>Gateway:Models</c> (an array of paths).
    /// </summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("Models")]
    public IReadOnlyList<string>? ModelPaths { get; init; }

    /// <summary>Model file or folder; ignored when <see cref="BackendFactory"/> is set.</summary>
    public string? ModelPath { get; init; }

    public string? TokenizerPath { get; init; }

    /// <summary>The id clients pass as "model"; null = the model file's name without extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>Engine worker threads; 0 = one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Context tokens; 0 = the model's (capped by the engine).</summary>
    public int ContextTokens { get; init; }

    /// <summary>
    /// <c>--chat-template</c>: the template every served base model uses instead of its own (a built-in name or Jinja
    /// source); fine-tuning renders its data with it too. Null: each model's own.
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Builds the backend instead of loading <see cref="ModelPath"/> (tests, embedding hosts). It is
    /// called on a background thread; /health answers 503 until it returns.</summary>
    public Func<IInferenceBackend>? BackendFactory { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="GatewayApp"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Requests that may wait in the engine's queue; more are refused with 503 server_overloaded.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Prompt tokens that may wait in the engine's queue; more are refused with 503 server_overloaded.</summary>
    public long MaxQueueTokens { get; init; } = 1 << 20;

    /// <summary>Serve through the continuous-batching engine (concurrent requests share forward passes).</summary>
    public bool ContinuousBatching { get; init; } = true;

    /// <summary>Disaggregated serving: this gateway's role, its bootstrap registry, and (router) its workers. Null = co-located.</summary>
    public Disaggregation.DisaggregationSettings? Disaggregation { get; init; }

    /// <summary>
    /// Remote engine workers (<c>--workers URL,URL</c>, <c>Gateway:Workers</c>): the model runs on these <c>cyllm serve</c>
    /// processes, and this gateway keeps it only for the tokenizer and chat template (<see cref="Workers.RemoteEngineBackend"/>).
    /// Null or no URLs = the model runs here.
    /// </summary>
    public Workers.WorkerSettings? Workers { get; init; }

    /// <summary>KV cache budget of the serving engine, in bytes (`cyllm serve --kv-cache-bytes`).</summary>
    public long KvCacheBytes { get; init; } = 256L << 20;

    /// <summary>Most sequences the engine runs in one step (`--max-running`, vLLM's --max-num-seqs); more wait in its queue.</summary>
    public int MaxRunning { get; init; } = 64;

    /// <summary>Most tokens (one decode token per running sequence plus prefill chunks) in one engine step
    /// (`--max-batch-tokens`, vLLM's --max-num-batched-tokens); longer prompts are prefilled in chunks.</summary>
    public int MaxBatchTokens { get; init; } = 256;

    /// <summary>Element type of the serving engine's KV cache (`cyllm serve --kv-type`).</summary>
    public CyLlm.Engine.KvCache.KvCacheType KvCacheType { get; init; } = CyLlm.Engine.KvCache.KvCacheType.F16;

    /// <summary>Most choices (<c>n</c>, and <c>best_of</c> on completions) one request may ask for (400 beyond).</summary>
    public int MaxChoices { get; init; } = 16;

    /// <summary>Most input tokens one embeddings request may carry, all inputs together (400 beyond).</summary>
    public int MaxEmbeddingTokens { get; init; } = 65536;

    /// <summary>Largest request body in bytes (413 request_too_large beyond).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Whole-request limit, queueing and generation included (504 timeout, stage "total").</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait in the queue before the engine starts the request (504 timeout, stage "queue").</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Interval of SSE keep-alive comments while a stream waits (queue, long prefill).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>An extra log sink next to the console (tests capture every line, e.g. to prove keys are never logged).</summary>
    public ILoggerProvider? ExtraLogProvider { get; init; }

    /// <summary>
    /// The state folder: SQLite database (cyllm.db), uploaded and generated files. Null = a fresh temporary folder
    /// removed when the gateway stops (tests, throw-away servers); `cyllm serve` always passes one.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>The SQLite database file when it is not <see cref="DataDirectory"/>/cyllm.db (<c>--store PATH</c>).</summary>
    public string? SqlitePath { get; init; }

    /// <summary>PostgreSQL connection string; when set the store is PostgreSQL instead of SQLite in <see cref="DataDirectory"/>.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>
    /// Where file contents (uploads, batch outputs) go: <c>Store</c> = in the store, chunked, shared by every replica;
    /// <c>S3</c> = the bucket <see cref="S3Location"/> names, shared likewise; <c>Local</c> = the data folder's
    /// <c>files/</c>. Null = <c>S3</c> when <see cref="S3Location"/> is set, else <c>Store</c> with PostgreSQL,
    /// <c>Local</c> with SQLite.
    /// </summary>
    public CyLlm.Jobs.Blobs.FileStorageKind? FileStorage { get; init; }

    /// <summary><c>s3://BUCKET[/PREFIX]</c> for file contents in an S3-compatible bucket (credentials, region and endpoint
    /// from the AWS_* environment variables; see <see cref="CyLlm.Jobs.Blobs.S3.S3Settings.FromUrl"/>), or null.</summary>
    public string? S3Location { get; init; }

    /// <summary>PostgreSQL schema for the tables (several deployments or test runs in one database); null = default.</summary>
    public string? PostgresSchema { get; init; }

    /// <summary>
    /// Builds the executor that trains fine-tuning jobs in this process; null = the built-in trainer. Tests pass a
    /// fake; <see cref="FineTuningWorker"/> false leaves jobs queued for another worker process.
    /// </summary>
    public Func<GatewayState, CyLlm.Training.FineTuning.IFineTuneExecutor>? FineTuneExecutorFactory { get; init; }

    /// <summary>Run the fine-tuning job worker in this server process.</summary>
    public bool FineTuningWorker { get; init; } = true;

    /// <summary>Shortest gap between two progress (metrics) events of a running fine-tuning job.</summary>
    public TimeSpan FineTuneProgressInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Cache completed deterministic responses (temperature 0 or a seed; non-streaming) in the store.</summary>
    public bool ResponseCacheEnabled { get; init; }

    /// <summary>How long a cached response is served.</summary>
    public TimeSpan ResponseCacheTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Total bytes of cached responses kept (oldest evicted first).</summary>
    public long ResponseCacheMaxBytes { get; init; } = 64L << 20;

    /// <summary>Scheduling priority per tenant for requests that give none (lower runs first, as <c>priority</c>).</summary>
    public Dictionary<string, int>? TenantDefaultPriorities { get; init; }

    /// <summary>Source of time for keys, limits, audit and the store (a fake one in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Largest file upload (POST /v1/files) in bytes, separate from <see cref="MaxBodyBytes"/> (413 beyond). Default 512 MiB.</summary>
    public long MaxUploadBytes { get; init; } = 512L << 20;

    /// <summary>How long an Idempotency-Key is remembered per tenant after its first use.</summary>
    public TimeSpan IdempotencyKeyTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Lease of the batch worker on a running batch; after a crash another process (or the restarted one) resumes it this long after the last heartbeat.</summary>
    public TimeSpan BatchLeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Lease of the fine-tuning worker on a running job (--fine-tune-lease): after a crash another replica (or
    /// the restarted one) resumes the job from its last checkpoint this long after the last heartbeat.</summary>
    public TimeSpan FineTuneLeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the batch worker looks for queued or interrupted batches when nothing woke it.</summary>
    public TimeSpan BatchPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Lines of one batch the worker runs at once (1 to 256), so the engine batches them (continuous batching); each
    /// answer is still recorded as soon as it completes. 1 runs lines one after another.
    /// </summary>
    public int BatchConcurrency { get; init; } = 8;

    /// <summary>Free space the data folder must have for the health check to pass (start-up and /health/details). Default 1 GiB.</summary>
    public long MinFreeDiskBytes { get; init; } = 1L << 30;

    /// <summary>Run the background batch worker in this process (off for gateways that only accept requests).</summary>
    public bool RunBatchWorker { get; init; } = true;

    /// <summary>
    /// Serve the web console at <c>/</c> (<c>Gateway:WebConsole</c>, default on; <c>--no-console</c> turns it off). Its
    /// files are embedded in the binary and hold no data: every call it makes needs an API key like any client's.
    /// </summary>
    public bool WebConsole { get; init; } = true;

    /// <summary>
    /// Serve without API keys: every request is the default tenant with every scope. Only for development on a
    /// loopback address (validation refuses it elsewhere); the server logs a warning at start-up.
    /// </summary>
    public bool AuthDisabled { get; init; }

    /// <summary>How long a key lookup is cached: the longest a key revoked by another process (the CLI, another
    /// replica) keeps working here. At most 10 s.</summary>
    public TimeSpan AuthCacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The folder runtime LoRA adapters (<c>POST /v1/load_lora_adapter</c>) of tenant admins must lie in
    /// (<c>Gateway:AdapterDirectory</c>); relative <c>lora_path</c>s are taken inside it. Null = only operator keys load
    /// adapters by path. Operator keys (tenant <c>system</c>, or auth off) may load any path.
    /// </summary>
    public string? AdapterDirectory { get; init; }

    /// <summary>
    /// Adapters (runtime LoRA loads and fine-tuned models) one tenant may have loaded at once across the served models
    /// (<c>Gateway:MaxAdaptersPerTenant</c>, default 2, 0 = tenants load none). The engine keeps at most
    /// <c>max_cpu_loras</c> adapters and evicts the least recently used to make room, which would let one tenant push
    /// out every other tenant's adapters; a tenant at its quota, or loading into a full engine, gets 409 instead.
    /// The operator (tenant <c>system</c>) is not bounded.
    /// </summary>
    public int MaxAdaptersPerTenant { get; init; } = 2;

    /// <summary>
    /// Bytes the served models may use together, weights plus each model's KV cache (<c>Gateway:MemoryBudgetBytes</c>;
    /// 0 = the memory this process may use). A model loaded at run time (<c>POST /v1/admin/models</c>) that would not fit
    /// is refused with the numbers (400 insufficient_memory) instead of running the machine out of memory.
    /// </summary>
    public long MemoryBudgetBytes { get; init; }

    /// <summary>
    /// Accept <c>training_method: "full"</c> fine-tuning jobs (<c>Gateway:AllowFullFineTuning</c>, default off). A full
    /// fine-tune trains an F32 copy of every base weight with its gradient and two optimizer moments (about 16 bytes per
    /// parameter): one job from any inference key could take the host's memory. Off, such jobs get 400 naming this key;
    /// on, each job is still refused (400 <c>insufficient_memory</c>) when that estimate exceeds the available memory.
    /// </summary>
    public bool AllowFullFineTuning { get; init; }

    /// <summary>First wait before a failed background iteration (batch worker, fine-tuning worker) runs again
    /// (<c>Gateway:BackgroundRetryDelay</c>, default 1 s); it doubles with each further failure up to a minute.</summary>
    public TimeSpan BackgroundRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Bytes of memory available for a new full fine-tune (tests inject a value); null = measured
    /// (<see cref="Endpoints.FineTuning.FineTuneMemory.Available"/>).</summary>
    public Func<long>? AvailableMemory { get; init; }

    /// <summary>Wraps the opened store (tests inject faults: a busy database, an unreadable folder); null = as opened.</summary>
    public Func<CyLlm.Jobs.Storage.IJobStore, CyLlm.Jobs.Storage.IJobStore>? WrapStore { get; init; }

    /// <summary>
    /// Serve <c>/metrics</c> without a key (<c>Gateway:MetricsPublic</c>). Off by default: the metrics name tenants and
    /// models, and "from loopback" proves nothing behind a reverse proxy on the same host. Without it a scraper sends a
    /// key with the <c>metrics</c> (or <c>admin</c>) scope.
    /// </summary>
    public bool MetricsPublic { get; init; }

    /// <summary>True for 127.0.0.1 (any 127.x), ::1 and localhost.</summary>
    public static bool IsLoopbackHost(string? host) =>
        host is not null && (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip)));

    /// <summary>Generation time after the engine starts the request (504 timeout, stage "inference").</summary>
    public TimeSpan InferenceTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest gap between SSE events of a running stream (error event, stage "stream_idle"); keep-alive comments do not count.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Per-key and per-tenant request and token limits (section Gateway:RateLimits); off by default.</summary>
    public RateLimits.RateLimitOptions RateLimits { get; init; } = new();

    /// <summary>Log line format: "json" (one JSON object per line, the default) or "text".</summary>
    public string LogFormat { get; init; } = "json";

    /// <summary>Log prompt and completion text (structured fields named Prompt, Completion, Content, …); off = masked.</summary>
    public bool LogContent { get; init; }

    /// <summary>Adds logging providers (tests capture lines); every provider is wrapped by the redactor.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>OTLP endpoint for traces (e.g. http://127.0.0.1:4317); null = spans are not exported.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>Alert thresholds (queue depth, KV usage, error rate) checked on a timer.</summary>
    public Observability.AlertOptions Alerts { get; init; } = new();

    /// <summary>Problems of the settings added for limits, timeouts and observability; <see cref="Validate"/> appends them.</summary>
    internal void ValidateObservability(List<string> errors)
    {
        if (InferenceTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Gateway:InferenceTimeout (--inference-timeout) must be positive (got {InferenceTimeout})");
        }

        if (StreamIdleTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Gateway:StreamIdleTimeout (--stream-idle-timeout) must be positive (got {StreamIdleTimeout})");
        }

        if (LogFormat is not ("json" or "text"))
        {
            errors.Add($"Gateway:LogFormat (--log-format) must be json or text (got '{LogFormat}')");
        }

        if (OtlpEndpoint is { } otlp && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            errors.Add($"Gateway:OtlpEndpoint (--otlp-endpoint) must be an absolute URI such as http://127.0.0.1:4317 (got '{otlp}')");
        }

        RateLimits.Validate(errors);
        Alerts.Validate(errors);
    }

    /// <summary>Problems of the serving engine's sizing (the vLLM/llama-server style flags of `cyllm serve`).</summary>
    private void ValidateEngine(List<string> errors)
    {
        if (MaxRunning < 1)
        {
            errors.Add($"--max-running must be at least 1 (got {MaxRunning})");
        }

        if (MaxBatchTokens < 1)
        {
            errors.Add($"--max-batch-tokens must be at least 1 (got {MaxBatchTokens})");
        }
        else if (MaxRunning >= 1 && MaxBatchTokens < MaxRunning)
        {
            // Every running sequence needs one token of each step's budget, as vLLM requires of its two flags.
            errors.Add($"--max-batch-tokens must be at least --max-running ({MaxRunning}): each running sequence takes one token of every step (got {MaxBatchTokens})");
        }

        if (KvCacheBytes < 1)
        {
            errors.Add($"--kv-cache-bytes must be positive (got {KvCacheBytes})");
        }

        if (MaxQueueTokens < 1)
        {
            errors.Add($"--max-queue-tokens must be at least 1 (got {MaxQueueTokens})");
        }
    }

    /// <summary>Returns all problems at once, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BackendFactory is null && string.IsNullOrWhiteSpace(ModelPath) && ModelPaths is not { Count: > 0 })
        {
            errors.Add("--model is required (no model path was set and the built-in default model was not resolved)");
        }

        errors.AddRange(Hosting.ModelCatalog.Validate(this));

        if (Port is < 0 or > 65535)
        {
            errors.Add($"--port must be between 0 and 65535 (got {Port})");
        }

        if (MaxQueue < 1)
        {
            errors.Add($"--max-queue must be at least 1 (got {MaxQueue})");
        }

        ValidateEngine(errors);

        if (MaxChoices < 1)
        {
            errors.Add($"Gateway:MaxChoices must be at least 1 (got {MaxChoices})");
        }

        if (MaxEmbeddingTokens < 1)
        {
            errors.Add($"Gateway:MaxEmbeddingTokens must be at least 1 (got {MaxEmbeddingTokens})");
        }

        if (MaxBodyBytes < 1024)
        {
            errors.Add($"max body bytes must be at least 1024 (got {MaxBodyBytes})");
        }

        if (RequestTimeout <= TimeSpan.Zero || QueueTimeout <= TimeSpan.Zero || KeepAliveInterval <= TimeSpan.Zero)
        {
            errors.Add("request timeout, queue timeout and keep-alive interval must be positive");
        }

        if (Threads < 0)
        {
            errors.Add($"--threads must be 0 (one per core) or positive (got {Threads})");
        }

        if (ContextTokens < 0)
        {
            errors.Add($"--context must be 0 (the model's) or positive (got {ContextTokens})");
        }

        if (MaxUploadBytes < 1024 || IdempotencyKeyTtl <= TimeSpan.Zero || BatchLeaseDuration < TimeSpan.FromSeconds(1) || BatchPollInterval <= TimeSpan.Zero)
        {
            errors.Add("max upload bytes must be at least 1024; idempotency key TTL and batch poll interval positive; batch lease at least 1 s");
        }

        if (FineTuneLeaseDuration < TimeSpan.FromSeconds(1) || FineTuneLeaseDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"--fine-tune-lease must be 1 to 86400 seconds (got {FineTuneLeaseDuration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        }

        if (BatchConcurrency is < 1 or > CyLlm.Jobs.Batches.BatchRunnerOptions.MaxConcurrentLinesLimit)
        {
            errors.Add($"Gateway:BatchConcurrency must be 1 to {CyLlm.Jobs.Batches.BatchRunnerOptions.MaxConcurrentLinesLimit} (got {BatchConcurrency})");
        }

        if (AuthDisabled && !IsLoopbackHost(Host))
        {
            errors.Add($"--no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost), not --host {Host}; create an API key instead (cyllm keys create --scope inference)");
        }

        if (BackgroundRetryDelay < TimeSpan.Zero || BackgroundRetryDelay > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Gateway:BackgroundRetryDelay must be between 0 and 1 minute (got {BackgroundRetryDelay})");
        }

        if (MemoryBudgetBytes < 0)
        {
            errors.Add($"Gateway:MemoryBudgetBytes must be 0 (the process's memory) or positive (got {MemoryBudgetBytes})");
        }

        if (MaxAdaptersPerTenant < 0)
        {
            errors.Add($"Gateway:MaxAdaptersPerTenant must be 0 or more (got {MaxAdaptersPerTenant})");
        }

        if (AdapterDirectory is { } adapters && !Directory.Exists(adapters))
        {
            errors.Add($"Gateway:AdapterDirectory must be an existing folder (got '{adapters}')");
        }

        if (AuthCacheTtl < TimeSpan.Zero || AuthCacheTtl > TimeSpan.FromSeconds(10))
        {
            errors.Add($"the API key cache TTL must be between 0 and 10 s (got {AuthCacheTtl.TotalSeconds} s)");
        }

        if (Workers is { Enabled: true } workers)
        {
            workers.Validate(errors);
            if (ModelPaths is { Count: > 1 })
            {
                errors.Add("Gateway:Workers (--workers) serves one model through its workers; give one --model (the workers' model)");
            }

            if (Disaggregation is { IsRouter: true } or { Role: not CyLlm.Gateway.Disaggregation.ServeRole.Both })
            {
                errors.Add("Gateway:Workers (--workers) does not combine with --role or --prefill-worker/--decode-worker");
            }
        }

        ValidateObservability(errors);
        return errors;
    }
}
