namespace CyLlm.Training.FineTuning;

/// <summary>
/// What lets another replica take a fine-tuning job over: its input files and checkpoints in storage every replica
/// reaches (the gateway's file storage in the store). Without it a job resumes only where its checkpoints were written.
/// </summary>
public interface IFineTuneSharedFiles
{
    /// <summary>The spec with training and validation paths that exist on this machine (local copies of shared files).</summary>
    Task<FineTuneJobSpec> LocalizeAsync(FineTuneJobSpec spec, string tenantId, CancellationToken ct);

    /// <summary>Copies a checkpoint's bytes to shared storage; called before the checkpoint is recorded in the store.</summary>
    Task ShareCheckpointAsync(string jobId, FineTuneCheckpoint checkpoint, CancellationToken ct);

    /// <summary>
    /// Brings a recorded checkpoint written elsewhere into <paramref name="workDirectory"/> (at
    /// <paramref name="relativePath"/>), verified; returns its local path, or null when no shared copy exists.
    /// </summary>
    Task<string?> FetchCheckpointAsync(string jobId, long step, string relativePath, string workDirectory, CancellationToken ct);
}
