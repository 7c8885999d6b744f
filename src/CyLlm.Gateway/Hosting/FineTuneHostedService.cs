using CyLlm.Jobs;
using CyLlm.Training.FineTuning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Runs fine-tuning jobs in the server process, one at a time: after the model is loaded it re-registers the adapters
/// of jobs that succeeded earlier (so <c>ft:...</c> models survive a restart), then works the queue. A succeeded
/// job's adapter is registered with the running engine before the job reports success, so it is servable at once —
/// on the base model the job trained (<see cref="FineTuneJobSpec.BaseModelPath"/>; the default for older jobs).
/// </summary>
public sealed class FineTuneHostedService(GatewayState state, IFineTuneExecutor executor, ILogger log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await state.Model.Loading.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception)
        {
            // The model failed to load (logged by the model host); without it no job can run.
            return;
        }

        // Any failure (the store busy while adapters are restored at start-up, a read-only fine-tuning folder) is
        // logged and retried with backoff: it must never stop the host, which serves every other request.
        bool restored = false;
        var backoff = new RetryBackoff(state.Time, state.Options.BackgroundRetryDelay, BackgroundLoop.MaxDelay);
        await BackgroundLoop.RunAsync("fine-tuning worker", async ct =>
        {
            if (!restored)
            {
                await RestoreAdaptersAsync(ct);
                restored = true;
            }

            var worker = new FineTuneWorker(state.Store, executor, new FineTuneWorkerOptions
            {
                JobsDirectory = Path.Combine(state.StoreHost.DataDirectory, "fine_tuning"),
                ProgressInterval = state.Options.FineTuneProgressInterval,
                // With file contents in the store, checkpoints go there too, so another replica resumes a job whose replica died.
                SharedFiles = state.StoreHost.SharedBlobs is { } blobs ? new SharedFineTuneFiles(state.StoreHost, blobs) : null,
            })
            {
                OnJobSucceeded = (spec, name, tenant, outcome) => RegisterAsync(spec, name, tenant, outcome, ct),
            };
            await worker.RunAsync(TimeSpan.FromSeconds(1), ct);
        }, backoff, state.Time, log, stoppingToken);
    }

    private async Task RegisterAsync(FineTuneJobSpec? spec, string name, string tenantId, FineTuneOutcome outcome, CancellationToken ct)
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

    /// <summary>
    /// The host of a job's base model: the one loaded from the spec's stored path; the default model for specs stored
    /// before several base models (no path, or an unreadable spec); null when the path is no longer served.
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

        return null;
    }

    private async Task RestoreAdaptersAsync(CancellationToken ct)
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
                if (s.FineTunedModel is null || s.ModelPath is null || !(Directory.Exists(s.ModelPath) || File.Exists(s.ModelPath)))
                {
                    continue;
                }

                try
                {
                    await RegisterAsync(SpecOf(t), s.FineTunedModel, t.TenantId, new FineTuneOutcome(s.ModelPath, s.IsAdapter, s.TrainedTokens, s.StopReason ?? "completed", null, null), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("could not re-register fine-tuned model {Model}: {Message}", s.FineTunedModel, e.Message);
                }
            }

            after = page[^1].Id;
        }
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
