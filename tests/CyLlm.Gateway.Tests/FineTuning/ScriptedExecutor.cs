using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>A fine-tuning executor that reports a fixed number of steps with checkpoints, optionally waiting at one step.</summary>
internal sealed class ScriptedExecutor : IFineTuneExecutor
{
    public int Steps { get; init; } = 3;

    public int BlockAtStep { get; init; } = -1;

    public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The spec of every run started, in order (which base model each job named).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<FineTuneJobSpec> Runs { get; } = new();

    /// <summary>The checkpoint each run started from (null for a fresh start), in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<FineTuneCheckpoint?> Resumes { get; } = new();

    /// <summary>Each checkpoint file holds this text followed by its step (distinct bytes per step).</summary>
    public const string CheckpointText = "checkpoint of step ";

    public Task<string> ValidateAsync(FineTuneRun run, CancellationToken ct) =>
        File.ReadAllText(run.Spec.TrainingFilePath).Contains("bad", StringComparison.Ordinal)
            ? throw new FineTuneDataException("invalid_training_file", "line 1: messages: missing field")
            : Task.FromResult("2 rows, 20 tokens, 0 truncated");

    public async Task<FineTuneOutcome> RunAsync(FineTuneRun run, IFineTuneCallbacks callbacks, CancellationToken ct)
    {
        Runs.Enqueue(run.Spec);
        Resumes.Enqueue(run.ResumeFrom);
        for (long step = (run.ResumeFrom?.Step ?? 0) + 1; step <= Steps; step++)
        {
            if (step == BlockAtStep)
            {
                Blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            await callbacks.ReportAsync(new FineTuneProgress(step, Steps, 1, 2.0 / step, null, 1e-4, 50, 2, TimeSpan.FromSeconds(Steps - step)), ct);
            string path = Path.Combine(run.WorkDirectory, $"step-{step}.ckpt");
            await File.WriteAllTextAsync(path, CheckpointText + step, ct);
            await callbacks.CheckpointAsync(new FineTuneCheckpoint(step, path, 1, new string('0', 64), 2.0 / step, 3.0 / step), ct);
        }

        // A full fine-tune outcome: nothing to register with the fake backend.
        return new FineTuneOutcome(Path.Combine(run.WorkDirectory, "model.gguf"), IsAdapter: false, 20 * Steps, "completed", 2.0 / Steps, null);
    }
}
