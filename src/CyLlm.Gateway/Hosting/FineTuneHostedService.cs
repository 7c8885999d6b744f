using CyLlm.Training.FineTuning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Runs fine-tuning jobs in the server process, one at a time: after the model is loaded it re-registers the adapters
/// of jobs that succeeded earlier (so <c>ft:...</c> models survive a restart), then works the queue. A succeeded
/// job's adapter is registered with the running engine before the job reports success, so it is servable at once —
/// on the base model the job trained (<see cref="FineTuneJobSpec.BaseModelPath"/>; the default for older jobs), and,
/// with shared file storage, stored for the other replicas first (<see cref="FineTunedAdapters"/>).
/// </summary>
public sealed class FineTuneHostedService(GatewayState state, IFineTuneExecutor executor, ILogger log) : BackgroundService
{
    private FineTunedAdapters Adapters { get; } = state.FineTunedAdapters ?? new FineTunedAdapters(state, log);

    /// <summary>Stores the adapter for the other replicas; a failure is logged and leaves it served by this replica only.</summary>
    private async Task ShareAsync(string name, FineTuneOutcome outcome, CancellationToken ct)
    {
        try
        {
            await Adapters.ShareAsync(name[(name.LastIndexOf(':') + 1)..], outcome, ct);
        }
        catch (Exception e) when (e is IOException or CyLlm.Jobs.Blobs.BlobStoreException or UnauthorizedAccessException)
        {
            log.LogWarning("fine-tuned adapter {Model} could not be stored for the other replicas ({Message}); only this replica serves it", name, e.Message);
        }
    }

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
                await Adapters.RestoreAsync(ct);
                restored = true;
            }

            var worker = new FineTuneWorker(state.Store, executor, new FineTuneWorkerOptions
            {
                JobsDirectory = Path.Combine(state.StoreHost.DataDirectory, "fine_tuning"),
                ProgressInterval = state.Options.FineTuneProgressInterval,
                LeaseDuration = state.Options.FineTuneLeaseDuration,
                // Three heartbeats per lease at least, so one slow store write does not lose it; never rarer than the 5 s default.
                HeartbeatInterval = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, state.Options.FineTuneLeaseDuration.Ticks / 3)),
                // With file contents in the store, checkpoints go there too, so another replica resumes a job whose replica died.
                SharedFiles = state.StoreHost.SharedBlobs is { } blobs ? new SharedFineTuneFiles(state.StoreHost, blobs) : null,
            })
            {
                OnJobSucceeded = async (spec, name, tenant, outcome) =>
                {
                    // Into the store first, so the adapter is on every replica by the time the job says succeeded.
                    await ShareAsync(name, outcome, ct);
                    await Adapters.RegisterAsync(spec, name, tenant, outcome, ct);
                },
            };
            await worker.RunAsync(TimeSpan.FromSeconds(1), ct);
        }, backoff, state.Time, log, stoppingToken);
    }
}
