namespace CyLlm.Jobs.Storage;

/// <summary>
/// Typed evidence that a task finished <paramref name="Step"/>: the checkpoint file written by <c>AtomicFile</c> and
/// what it contained. (task, step) is unique; a step recorded here is done and is never run again after a resume.
/// </summary>
/// <param name="Step">Training step / line index / chunk number, ≥ 0, strictly meaningful per task kind.</param>
/// <param name="Path">Absolute path of the checkpoint file.</param>
/// <param name="SizeBytes">File size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file (64 characters).</param>
/// <param name="Owner">Lease owner that wrote it, or null when written without a lease.</param>
public sealed record CheckpointRecord(TaskId TaskId, long Step, string Path, long SizeBytes, string Sha256, DateTimeOffset CreatedAt, string? Owner)
{
    /// <summary>Throws <see cref="ArgumentException"/> when a field cannot be stored (negative step or size, bad hash).</summary>
    public void EnsureValid()
    {
        if (TaskId.IsEmpty)
        {
            throw new ArgumentException("checkpoint task id is uninitialised");
        }

        if (Step < 0)
        {
            throw new ArgumentException($"checkpoint step {Step} is negative");
        }

        if (SizeBytes < 0)
        {
            throw new ArgumentException($"checkpoint size {SizeBytes} is negative");
        }

        if (string.IsNullOrEmpty(Path))
        {
            throw new ArgumentException("checkpoint path is empty");
        }

        if (!Hex.IsSha256(Sha256))
        {
            throw new ArgumentException($"checkpoint sha256 '{Sha256}' is not 64 lower-case hex characters");
        }
    }
}
