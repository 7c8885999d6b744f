namespace CyLlm.Training.FineTuning;

/// <summary>Settings of a <see cref="FineTuneWorker"/>.</summary>
public sealed record FineTuneWorkerOptions
{
    /// <summary>Lease owner name; unique per worker process (default: host name + process id).</summary>
    public string Owner { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>How long a lease lasts without a heartbeat: a crashed worker's job is resumable after this.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeat and cancellation-poll interval; well under <see cref="LeaseDuration"/>.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Shortest gap between two progress writes to the store (each write is an event row).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Folder under which each job gets <c>&lt;job id&gt;/</c> for checkpoints and its result.</summary>
    public required string JobsDirectory { get; init; }

    /// <summary>Shared storage for input files and checkpoints, so a job resumes on another replica; null = this machine only.</summary>
    public IFineTuneSharedFiles? SharedFiles { get; init; }
}
