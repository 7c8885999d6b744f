namespace CyLlm.Jobs.Batches;

/// <summary>Settings of a <see cref="BatchRunner"/>.</summary>
public sealed record BatchRunnerOptions
{
    public BatchRunnerOptions(string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        OutputDirectory = Path.GetFullPath(outputDirectory);
    }

    /// <summary>Folder for output and error files (written with AtomicFile) when <see cref="Contents"/> is null.</summary>
    public string OutputDirectory { get; }

    /// <summary>Where output and error files go (the gateway's file storage, possibly shared by replicas); null = <see cref="OutputDirectory"/>.</summary>
    public CyLlm.Jobs.Blobs.FileContents? Contents { get; init; }

    /// <summary>Lease length; another worker can take the batch over this long after this one stops heart-beating.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeat period; must be well below <see cref="LeaseDuration"/>.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Progress and request counts are written every this many answered lines.</summary>
    public int ProgressEvery { get; init; } = 20;

    /// <summary>Most requests one batch may hold (OpenAI: 50,000).</summary>
    public int MaxRequests { get; init; } = 50_000;

    /// <summary>
    /// Most lines of one batch in flight at once (1 to <see cref="MaxConcurrentLinesLimit"/>). Several lines at once let
    /// the serving engine batch them (continuous batching: 16–64 concurrent sequences give 5–10× the throughput of
    /// one); 1 runs the lines strictly one after another.
    /// </summary>
    public int MaxConcurrentLines { get; init; } = 8;

    /// <summary>Upper bound of <see cref="MaxConcurrentLines"/>.</summary>
    public const int MaxConcurrentLinesLimit = 256;
}
