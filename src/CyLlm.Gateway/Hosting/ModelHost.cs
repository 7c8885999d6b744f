using CyLlm.Engine;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Hosting;

/// <summary>Loads the model in the background so the server answers /health (503) while it loads.</summary>
public sealed class ModelHost : IDisposable
{
    private readonly Task<IInferenceBackend> _loading;
    private volatile IInferenceBackend? _backend;

    public ModelHost(GatewayOptions options, ILogger log)
    {
        ModelId = options.ModelId ?? (options.ModelPath is { } p ? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(p)) : "model");
        ModelPath = options.ModelPath;
        _loading = Task.Run(() =>
        {
            try
            {
                var b = options.BackendFactory?.Invoke() ?? (options.Workers is { Enabled: true } workers ? Remote(options, workers, log) : new EngineBackend(
                    InferenceEngine.Load(options.ModelPath!, options.TokenizerPath, new EngineOptions { Threads = options.Threads, ContextTokens = options.ContextTokens, ChatTemplate = options.ChatTemplate }),
                    ModelId,
                    serving: options.ContinuousBatching ? ServingOptionsOf(options) : null,
                    maxWaiting: options.MaxQueue));
                _backend = b;
                log.LogInformation("model {Model} ready, context {Context} tokens", b.ModelId, b.ContextTokens);
                return b;
            }
            catch (Exception e)
            {
                log.LogError("model failed to load: {Message}", e.Message);
                throw;
            }
        });
    }

    /// <summary>The model through remote engine workers: loaded here for its tokenizer and chat template only, without the
    /// serving engine, so no KV cache is allocated (the single-stream session is created on a generation, which never runs here).</summary>
    private IInferenceBackend Remote(GatewayOptions options, Workers.WorkerSettings workers, ILogger log) => new Workers.RemoteEngineBackend(
        new EngineBackend(
            InferenceEngine.Load(options.ModelPath!, options.TokenizerPath, new EngineOptions { Threads = 1, ContextTokens = options.ContextTokens, ChatTemplate = options.ChatTemplate }),
            ModelId),
        workers,
        options.RequestTimeout,
        options.Time,
        log,
        tenantPriorities: options.TenantDefaultPriorities);

    /// <summary>The serving engine's sizing and admission limits from the gateway's settings (its waiting queue is
    /// the only one: --max-queue bounds it in requests, MaxQueueTokens in prompt tokens).</summary>
    internal static CyLlm.Engine.Scheduling.ServingOptions ServingOptionsOf(GatewayOptions options) => new()
    {
        KvCacheBytes = options.KvCacheBytes,
        KvType = options.KvCacheType,
        TenantDefaultPriorities = options.TenantDefaultPriorities,
        MaxRunning = options.MaxRunning,
        TokenBudget = options.MaxBatchTokens,
        MaxWaiting = options.MaxQueue,
        MaxWaitingTokens = options.MaxQueueTokens,
    };

    /// <summary>The id served before the backend is known; replaced by the backend's own once loaded.</summary>
    public string ModelId { get; }

    /// <summary>The model file or folder (what fine-tuning trains on); null when only a backend factory is given.</summary>
    public string? ModelPath { get; }

    /// <summary>The backend, or null while loading (or after a failed load).</summary>
    public IInferenceBackend? Backend => _backend;

    /// <summary>Completes when loading ends (faults if it failed).</summary>
    public Task<IInferenceBackend> Loading => _loading;

    public void Dispose() => _backend?.Dispose();
}
