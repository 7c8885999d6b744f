namespace CyLlm.Jobs.Storage;

/// <summary>The task does not exist (or belongs to another tenant). Maps to HTTP 404.</summary>
public sealed class TaskNotFoundException : JobStoreException
{
    public TaskNotFoundException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
