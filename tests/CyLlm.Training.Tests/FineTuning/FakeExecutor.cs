using System.Collections.Concurrent;
using CyLlm.Training.FineTuning;

namespace CyLlm.Training.Tests.FineTuning;

/// <summary>An executor that "trains" a fixed number of steps, reporting progress and checkpoints, under test control.</summary>
internal sealed class FakeExecutor : IFineTuneExecutor
{
    public ConcurrentQueue<string> Started { get; } = new();

    public ConcurrentQueue<FineTuneRun> Runs { get; } = new();

    public int Steps { get; init; } = 4;

    /// <summary>Step at which to wait until cancelled (to test cancellation and worker death), or -1.</summary>
    public int BlockAtStep { get; init; } = -1;

    public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? FailValidation { get; init; }

    public Task<string> ValidateAsync(FineTuneRun run, CancellationToken ct)
    {
        if (FailValidation is not null)
        {
            throw new FineTuneDataException("invalid_training_file", FailValidation);
        }

        return Task.FromResult("3 rows, 42 tokens, 0 truncated");
    }

    public async Task<FineTuneOutcome> RunAsync(FineTuneRun run, IFineTuneCallbacks callbacks, CancellationToken ct)
    {
        Started.Enqueue(run.JobId);
        Runs.Enqueue(run);
        long start = run.ResumeFrom?.Step ?? 0;
        for (long step = start + 1; step <= Steps; step++)
        {
            if (step == BlockAtStep)
            {
                Blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            await callbacks.ReportAsync(new FineTuneProgress(step, Steps, 1, 1.0 / step, null, 1e-3, 100, 1, TimeSpan.FromSeconds(Steps - step)), ct);
            string path = Path.Combine(run.WorkDirectory, $"ckpt-{step}");
            await File.WriteAllTextAsync(path, $"step {step}", ct);
            await callbacks.CheckpointAsync(new FineTuneCheckpoint(step, path, 6, new string('a', 64), 1.0 / step, null), ct);
        }

        return new FineTuneOutcome(Path.Combine(run.WorkDirectory, "adapter"), true, 42 * Steps, "completed", 1.0 / Steps, null);
    }
}
