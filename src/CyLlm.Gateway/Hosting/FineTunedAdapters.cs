using System.Collections.Concurrent;
using CyLlm.Jobs;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Files;
using CyLlm.Training.FineTuning;
using Microsoft.Extensions.Logging;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// The adapters of succeeded fine-tuning jobs on this server: registered with the engine of the base model they were
/// trained on, private to the job's tenant. With file contents in the store (<c>--file-storage store</c>) the replica
/// that finishes a job also stores the exported PEFT adapter there (blobs <c>ftadapter-&lt;job&gt;-config</c> and
/// <c>-weights</c>) before the job says succeeded, and every other replica fetches it into its own
/// <c>DATA/cache/adapters/&lt;job&gt;/</c> on first use — a request for the <c>ft:</c> model, <c>GET /v1/models</c>, or
/// its start-up restore — and loads it: once per model however many requests ask at the same time.
/// </summary>
public sealed class FineTunedAdapters(GatewayState state, ILogger log)
{
    /// <summary>The PEFT files an exported adapter folder holds (AdapterExporter.WritePeft), and their blob suffixes.</summary>
    private static readonly (string File, string Suffix)[] PeftFiles = [("adapter_config.json", "config"), ("adapter_model.safetensors", "weights")];

    /// <summary>How often <c>GET /v1/models</c> may look for adapters other replicas finished (a store scan).</summary>
    public static readonly TimeSpan ListScanInterval = TimeSpan.FromSeconds(5);

    // Model name -> its one fetch-and-load, so concurrent first requests wait for the same work. A failed one is removed,
    // so a later request tries again (the blob may have been written meanwhile).
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _fetches = new(StringComparer.Ordinal);
    private long _lastScanTicks = long.MinValue;

    /// <summary>The blob holding one file of a job's exported adapter.</summary>
    public static string BlobId(string jobId, string suffix) => $"ftadapter-{jobId}-{suffix}";

    /// <summary>
    /// Stores a finished job's adapter in the store, so other replicas can serve it; nothing without shared file
    /// storage, for full fine-tunes (a model file, served with --model), or for an id a blob cannot carry.
    /// </summary>
    public async Task ShareAsync(string jobId, FineTuneOutcome outcome, CancellationToken ct)
    {
        if (state.StoreHost.SharedBlobs is not { } blobs || !outcome.IsAdapter || !Directory.Exists(outcome.ModelPath))
        {
            return;
        }

        foreach (var (file, suffix) in PeftFiles)
        {
            string id = BlobId(jobId, suffix);
            if (!BlobIds.IsValid(id))
            {
                log.LogWarning("fine-tuned adapter of {Job} is not shared: its id cannot name a blob", jobId);
                return;
            }

            await using var content = LocalDirectoryBlobStore.OpenFile(Path.Combine(outcome.ModelPath, file));
            await blobs.WriteBlobAsync(id, content, long.MaxValue, ct);
        }

        log.LogInformation("fine-tuned adapter of {Job} stored for every replica", jobId);
    }

    /// <summary>
    /// Makes <paramref name="requested"/> servable here when it names a succeeded job's adapter that this replica does
    /// not hold yet and <paramref name="caller"/> may use it (its tenant, or the operator): fetched from the store and
    /// registered. Anything else returns at once and the request resolves as before (a 404 for an unknown model).
    /// </summary>
    public async Task EnsureAsync(string? requested, Auth.Caller caller, CancellationToken ct)
    {
        if (requested is null || !requested.StartsWith("ft:", StringComparison.Ordinal) || state.StoreHost.SharedBlobs is null || IsLoaded(requested))
        {
            return;
        }

        // ft:<base>:<suffix>:<job id>: the job id is the last part.
        if (!TaskId.TryParse(requested[(requested.LastIndexOf(':') + 1)..], out var id) || id.Kind != TaskKind.FineTuning)
        {
            return;
        }

        var task = await state.Store.GetTaskAsync(id, ct);
        if (task is null || (!caller.IsOperator && task.TenantId != caller.TenantId))
        {
            return; // another tenant's model stays unknown to this caller, fetched or not
        }

        await FetchAsync(task, requested);
    }

    /// <summary>
    /// For <c>GET /v1/models</c>: fetches the adapters other replicas finished since the last look, at most every
    /// <see cref="ListScanInterval"/> (each look scans the store's tasks).
    /// </summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        if (state.StoreHost.SharedBlobs is null)
        {
            return;
        }

        long now = state.Time.GetUtcNow().UtcTicks;
        long last = Interlocked.Read(ref _lastScanTicks);
        if (last != long.MinValue && now - last < ListScanInterval.Ticks)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastScanTicks, now, last) != last)
        {
            return; // another request is scanning
        }

        await RestoreAsync(ct);
    }

    /// <summary>
    /// Registers the adapter of every succeeded job this replica can reach: its local export, else (shared file storage)
    /// a copy fetched from the store. Run at start-up, so <c>ft:</c> models survive a restart and a new replica serves
    /// the ones finished before it started.
    /// </summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        TaskId? after = null;
        while (!ct.IsCancellationRequested)
        {
            var page = await state.Store.ScanTasksAsync(after, 200, ct);
            if (page.Count == 0)
            {
                return;
            }

            foreach (var t in page)
            {
                if (t.Kind != TaskKind.FineTuning || t.Status != TaskStatus.Succeeded)
                {
                    continue;
                }

                var s = FineTuneWorker.ReadState(t);
                if (s.FineTunedModel is null || s.ModelPath is null || IsLoaded(s.FineTunedModel))
                {
                    continue;
                }

                if (Directory.Exists(s.ModelPath) || File.Exists(s.ModelPath))
                {
                    try
                    {
                        await RegisterAsync(SpecOf(t), s.FineTunedModel, t.TenantId, new FineTuneOutcome(s.ModelPath, s.IsAdapter, s.TrainedTokens, s.StopReason ?? "completed", null, null), ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogWarning("could not re-register fine-tuned model {Model}: {Message}", s.FineTunedModel, e.Message);
                    }
                }
                else if (s.IsAdapter)
                {
                    await FetchAsync(t, s.FineTunedModel);
                }
            }

            after = page[^1].Id;
        }
    }

    /// <summary>
    /// Registers a succeeded job's adapter with the engine of its base model, private to <paramref name="tenantId"/>;
    /// logged and skipped when this server does not serve that base model or the tenant's adapter quota is full.
    /// </summary>
    public async Task RegisterAsync(FineTuneJobSpec? spec, string name, string tenantId, FineTuneOutcome outcome, CancellationToken ct)
    {
        if (!outcome.IsAdapter)
        {
            // A full fine-tune is a new model file; the served base models are fixed at start, so it is exported, not served.
            log.LogInformation("fine-tuned model {Model} exported to {Path} (full fine-tuning: serve it with cyllm serve --model)", name, outcome.ModelPath);
            return;
        }

        // The adapter belongs to the base model it was trained on; that model may still be loading.
        var host = HostFor(spec);
        if (host is null)
        {
            log.LogWarning("fine-tuned adapter {Model} was trained on {Base}, which this server does not serve; it is not registered (serve that model to use it)", name, spec?.BaseModelPath);
            return;
        }

        await host.Loading.WaitAsync(ct);
        var backend = host.Backend!;
        if (!backend.Adapters.Contains(name))
        {
            // Loading past the tenant's quota or into a full engine would evict another tenant's adapter.
            if (state.AdapterRoomFor(tenantId, backend) is { } full)
            {
                log.LogWarning("fine-tuned adapter {Model} is not registered: {Reason} (its files stay in {Path}; load it with POST /v1/load_lora_adapter once there is room)", name, full.Message, outcome.ModelPath);
                return;
            }

            // The job's tenant owns its fine-tuned model: other tenants neither see nor use it.
            state.SetAdapterOwner(name, tenantId);
            backend.LoadAdapter(name, outcome.ModelPath);
        }
        else
        {
            state.SetAdapterOwner(name, tenantId);
        }

        log.LogInformation("fine-tuned adapter {Model} registered on {Base} from {Path}", name, backend.ModelId, outcome.ModelPath);
    }

    private bool IsLoaded(string name) => state.Backends.Any(b => b.Adapters.Contains(name));

    /// <summary>Fetches and registers <paramref name="name"/> once; true when it is loaded afterwards.</summary>
    private async Task<bool> FetchAsync(TaskRecord task, string name)
    {
        var work = _fetches.GetOrAdd(name, _ => new Lazy<Task<bool>>(() => FetchOnceAsync(task, name)));
        bool loaded;
        try
        {
            // Not the caller's token: a client that goes away must not cancel the fetch other requests wait for.
            loaded = await work.Value;
        }
        catch (Exception e) when (e is IOException or BlobStoreException or UnauthorizedAccessException or CyLlm.Models.ModelFormatException or InvalidOperationException or ArgumentException)
        {
            log.LogWarning("could not fetch fine-tuned adapter {Model} from the store: {Message}", name, e.Message);
            loaded = false;
        }

        if (!loaded)
        {
            _fetches.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(name, work));
        }

        return loaded;
    }

    private async Task<bool> FetchOnceAsync(TaskRecord task, string name)
    {
        var s = FineTuneWorker.ReadState(task);
        if (task.Status != TaskStatus.Succeeded || !s.IsAdapter || s.FineTunedModel != name || state.StoreHost.SharedBlobs is not { } blobs)
        {
            return false;
        }

        // The job id is a TaskId ([A-Za-z0-9_-]): a safe folder name, and what the blob ids are made of.
        string folder = Path.Combine(state.StoreHost.DataDirectory, "cache", "adapters", task.Id.Value, "adapter");
        foreach (var (file, suffix) in PeftFiles)
        {
            Stream source;
            try
            {
                source = await blobs.OpenBlobAsync(BlobId(task.Id.Value, suffix), CancellationToken.None);
            }
            catch (BlobNotFoundException)
            {
                // Finished before adapters were shared, or on a replica with local file storage: only that replica serves it.
                log.LogWarning("fine-tuned adapter {Model} is not in the store; only the replica that finished the job serves it", name);
                return false;
            }

            await using (source)
            {
                Directory.CreateDirectory(folder);
                // Verified against the recorded length and SHA-256 as it streams; a damaged copy never becomes the file.
                await AtomicFile.WriteAsync(Path.Combine(folder, file), source, CancellationToken.None);
            }
        }

        await RegisterAsync(SpecOf(task), name, task.TenantId, new FineTuneOutcome(folder, true, s.TrainedTokens, s.StopReason ?? "completed", null, null), CancellationToken.None);
        return IsLoaded(name);
    }

    /// <summary>
    /// The host of a job's base model: the one loaded from the spec's stored path, else (another replica, whose model
    /// folder may differ) the one serving the spec's model id; the default model for specs stored before several base
    /// models (no path, or an unreadable spec); null when that model is not served here.
    /// </summary>
    private ModelHost? HostFor(FineTuneJobSpec? spec)
    {
        if (spec?.BaseModelPath is not { } path)
        {
            return state.Model;
        }

        string full = Path.GetFullPath(path);
        foreach (var host in state.Models)
        {
            if (host.ModelPath is { } p && string.Equals(Path.GetFullPath(p), full, StringComparison.Ordinal))
            {
                return host;
            }
        }

        return state.Models.FirstOrDefault(h => h.ModelId == spec.Model);
    }

    /// <summary>The job's stored spec, or null when it cannot be read (then the default model is assumed).</summary>
    private static FineTuneJobSpec? SpecOf(TaskRecord task)
    {
        try
        {
            return task.Input is null ? null : FineTuneJson.Deserialize<FineTuneJobSpec>(task.Input);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
