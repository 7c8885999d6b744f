namespace CyLlm.Jobs.Storage;

/// <summary>A checkpoint for the same (task, step) already exists with different evidence (path, size or hash).</summary>
public sealed class CheckpointConflictException : JobStoreException
{
    public CheckpointConflictException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
