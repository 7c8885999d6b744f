using CyLlm.Gateway.Errors;
using CyLlm.Gateway.State;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Hosting;

/// <summary>The per-server singletons handlers share: options, the models and the store. Generations go straight to
/// each model's backend, whose engine owns admission (waiting queue, priority, overload).</summary>
public sealed class GatewayState(GatewayOptions options, ModelHost model, StoreHost storeHost)
{
    public GatewayOptions Options { get; } = options;

    /// <summary>The durable store (keys, tenants, audit rows, files, tasks, batches, idempotency keys).</summary>
    public IJobStore Store => StoreHost.Store;

    /// <summary>The store and the data folder's layout.</summary>
    public StoreHost StoreHost { get; } = storeHost;

    public TimeProvider Time => Options.Time;

    /// <summary>Fine-tuned adapters: registration, and with shared file storage the copies other replicas fetch (set by GatewayApp).</summary>
    public FineTunedAdapters? FineTunedAdapters { get; set; }

    /// <summary>Each tenant's prefix-cache salt (keyed by the data folder's secret), set on every engine request.</summary>
    public TenantCacheSalts CacheSalts { get; } = TenantCacheSalts.Open(storeHost.DataDirectory);

    // Adapter name -> owning tenant; absent = visible to every tenant (loaded by the operator).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _adapterOwners = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="adapter"/> private to <paramref name="tenantId"/>, or visible to all when null.</summary>
    public void SetAdapterOwner(string adapter, string? tenantId)
    {
        if (tenantId is null)
        {
            _adapterOwners.TryRemove(adapter, out _);
        }
        else
        {
            _adapterOwners[adapter] = tenantId;
        }
    }

    /// <summary>The tenant that owns an adapter, or null when every tenant may use it.</summary>
    public string? AdapterOwner(string adapter) => _adapterOwners.TryGetValue(adapter, out var t) ? t : null;

    /// <summary>Whether <paramref name="caller"/> may see and use <paramref name="adapter"/>: shared adapters, its own
    /// tenant's, and every adapter for the operator.</summary>
    public bool CanUseAdapter(Auth.Caller caller, string adapter) =>
        caller.IsOperator || AdapterOwner(adapter) is not { } owner || owner == caller.TenantId;

    /// <summary>Whether <paramref name="caller"/> may replace or unload <paramref name="adapter"/>: the operator any,
    /// a tenant only its own. Shared adapters (loaded by the operator) are used by every tenant, so no tenant may take
    /// them over or take them away from the others.</summary>
    public bool CanManageAdapter(Auth.Caller caller, string adapter) =>
        caller.IsOperator || AdapterOwner(adapter) == caller.TenantId;

    /// <summary>
    /// Null when <paramref name="tenantId"/> may load one more adapter into <paramref name="backend"/>; else the 409
    /// that says why. The engine makes room for a new adapter by evicting the least recently used one, whoever owns
    /// it, so a tenant may load only below its quota (<see cref="GatewayOptions.MaxAdaptersPerTenant"/>, counted over
    /// every served model) and only while the engine has a free slot. The operator (null tenant) is not bounded.
    /// </summary>
    public Errors.ApiError? AdapterRoomFor(string? tenantId, IInferenceBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (tenantId is null)
        {
            return null;
        }

        int own = 0;
        foreach (var host in _models)
        {
            foreach (string name in host.Backend?.Adapters ?? [])
            {
                own += AdapterOwner(name) == tenantId ? 1 : 0;
            }
        }

        if (own >= Options.MaxAdaptersPerTenant)
        {
            return new Errors.ApiError(409, Errors.ErrorCodes.AdapterQuotaExceeded,
                $"Tenant '{tenantId}' has {own} adapters loaded, its quota is {Options.MaxAdaptersPerTenant}. Fix: unload one of its adapters (POST /v1/unload_lora_adapter), or ask the operator to raise Gateway:MaxAdaptersPerTenant");
        }

        int slots = AdapterSlots;
        if (backend.Adapters.Count >= slots)
        {
            return new Errors.ApiError(409, Errors.ErrorCodes.AdapterQuotaExceeded,
                $"All {slots} adapter slots of model '{backend.ModelId}' are taken; loading another would evict another tenant's adapter. Fix: unload one of this tenant's adapters, or ask the operator to free a slot");
        }

        return null;
    }

    /// <summary>Adapters the engine holds before it evicts one (its <c>max_cpu_loras</c>, which the gateway leaves at
    /// the engine's default).</summary>
    public static int AdapterSlots { get; } = new CyLlm.Engine.Scheduling.ServingOptions().MaxCpuLoras;

    /// <summary>The response cache when <see cref="GatewayOptions.ResponseCacheEnabled"/>, else null.</summary>
    public CyLlm.Jobs.Caching.ResponseCache? ResponseCache { get; } = options.ResponseCacheEnabled
        ? new CyLlm.Jobs.Caching.ResponseCache(storeHost.Store, new CyLlm.Jobs.Caching.ResponseCacheOptions { Ttl = options.ResponseCacheTtl, MaxTotalBytes = options.ResponseCacheMaxBytes })
        : null;

    public ModelHost Model { get; } = model;

    // Copy-on-write: requests read a snapshot without a lock; loads and unloads at run time swap the array.
    private readonly Lock _modelsLock = new();
    private volatile ModelHost[] _models = [model];

    /// <summary>Every base model, the default (<see cref="Model"/>) first (a snapshot).</summary>
    public IReadOnlyList<ModelHost> Models => _models;

    /// <summary>The loaded backends, the default first (a model still loading is absent).</summary>
    public IEnumerable<IInferenceBackend> Backends
    {
        get
        {
            foreach (var host in _models)
            {
                if (host.Backend is { } b)
                {
                    yield return b;
                }
            }
        }
    }

    /// <summary>Adds another base model (composition, or a load at run time that checked its id).</summary>
    internal void AddModel(ModelHost host)
    {
        lock (_modelsLock)
        {
            _models = [.. _models, host];
        }
    }

    /// <summary>Adds a model loaded at run time unless its id is taken (by a model, or a loaded adapter's name); false when taken.</summary>
    internal bool TryAddModel(ModelHost host)
    {
        lock (_modelsLock)
        {
            foreach (var m in _models)
            {
                if (ServedModels.IdOf(m) == host.ModelId || (m.Backend is { } b && b.Adapters.Contains(host.ModelId)))
                {
                    return false;
                }
            }

            _models = [.. _models, host];
            return true;
        }
    }

    /// <summary>Removes a base model other than the default; null when no such model (or it is the default).</summary>
    internal ModelHost? RemoveModel(string id)
    {
        lock (_modelsLock)
        {
            int i = Array.FindIndex(_models, m => ServedModels.IdOf(m) == id);
            if (i <= 0)
            {
                return null;
            }

            var host = _models[i];
            _models = [.. _models[..i], .. _models[(i + 1)..]];
            return host;
        }
    }

    /// <summary>Unix seconds at start-up; the "created" of the model object.</summary>
    public long StartedAt { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>The backend, or 503 while the model loads.</summary>
    public IInferenceBackend RequireBackend() => Model.Backend ?? throw new ApiError(503, ErrorCodes.ServerOverloaded,
        Model.Loading.IsFaulted
            ? "The model failed to load. Fix: check the server log and restart it with a valid --model"
            : "The model is still loading. Fix: wait until GET /health returns 200 and retry");

    /// <summary>Resolves the request's "model" (null = the served model) or throws 404 model_not_found.</summary>
    public IInferenceBackend ResolveModel(string? requested) => ResolveModel(requested, out _);

    /// <summary>Resolves "model": the base id, "base:adapter", or a loaded adapter's name alone.</summary>
    public IInferenceBackend ResolveModel(string? requested, out string? adapter)
    {
        var b = RequireBackend();
        adapter = null;
        if (requested is not null && requested != b.ModelId)
        {
            foreach (var host in _models)
            {
                if (host.ModelId == requested || (host.Backend is { } hb && hb.ModelId == requested))
                {
                    return host.Backend ?? throw new ApiError(503, ErrorCodes.ServerOverloaded,
                        $"The model '{requested}' is still loading. Fix: wait until GET /health returns 200 and retry");
                }
            }

            foreach (var other in Backends)
            {
                string? name = requested.StartsWith(other.ModelId + ":", StringComparison.Ordinal) ? requested[(other.ModelId.Length + 1)..] : requested;
                if (other.Adapters.Contains(name))
                {
                    adapter = name;
                    return other;
                }
            }

            throw new ApiError(404, ErrorCodes.ModelNotFound,
                $"The model '{requested}' does not exist on this server. Fix: use '{b.ModelId}' (see GET /v1/models)", "model");
        }

        return b;
    }
}
