using CyLlm.Jobs;
using CyLlm.Training.FineTuning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskStatus = CyLlm.Jobs.TaskStatus;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Runs fine-tuning jobs in the server process, one at a time: after the model is loaded it re-registers the adapters
/// of jobs that succeeded earlier (so <c>ft:...</c> models survive a restart), then works the queue. A succeeded
/// job's adapter is registered with the running engine before the job reports success, so it is servable at once.
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

        await RestoreAdaptersAsync(stoppingToken);
        var worker = new FineTuneWorker(state.Store, executor, new FineTuneWorkerOptions
        {
            JobsDirectory = Path.Combine(state.StoreHost.DataDirectory, "fine_tuning"),
            ProgressInterval = state.Options.FineTuneProgressInterval,
        })
        {
            OnSucceeded = (name, tenant, outcome) => RegisterAsync(name, tenant, outcome),
        };
        await worker.RunAsync(TimeSpan.FromSeconds(1), stoppingToken);
    }

    private Task RegisterAsync(string name, string tenantId, FineTuneOutcome outcome)
    {
        if (!outcome.IsAdapter)
        {
            // A full fine-tune is a new model file; this server hosts one base model, so it is exported, not served.
            log.LogInformation("fine-tuned model {Model} exported to {Path} (full fine-tuning: serve it with cyllm serve --model)", name, outcome.ModelPath);
            return Task.CompletedTask;
        }

        var backend = state.RequireBackend();
        // The job's tenant owns its fine-tuned model: other tenants neither see nor use it.
        state.SetAdapterOwner(name, tenantId);
        if (!backend.Adapters.Contains(name))
        {
            backend.LoadAdapter(name, outcome.ModelPath);
        }

        log.LogInformation("fine-tuned adapter {Model} registered from {Path}", name, outcome.ModelPath);
        return Task.CompletedTask;
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
                    await RegisterAsync(s.FineTunedModel, t.TenantId, new FineTuneOutcome(s.ModelPath, s.IsAdapter, s.TrainedTokens, s.StopReason ?? "completed", null, null));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("could not re-register fine-tuned model {Model}: {Message}", s.FineTunedModel, e.Message);
                }
            }

            after = page[^1].Id;
        }
    }
}
