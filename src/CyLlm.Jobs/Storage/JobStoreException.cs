namespace CyLlm.Jobs.Storage;

/// <summary>Base of every error the job store raises on purpose; the message is one line naming the task/key involved.</summary>
public class JobStoreException : Exception
{
    public JobStoreException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
