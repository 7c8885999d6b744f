namespace CyLlm.Jobs.Files;

/// <summary>An atomic write failed before replacing the target: the target (and its marker) are exactly as they were.</summary>
public sealed class AtomicWriteException : IOException
{
    public AtomicWriteException(string path, AtomicWriteFailure reason, string detail, Exception? inner = null)
        : base($"cannot write {path}: {detail}; the existing file was left untouched", inner)
    {
        Path = path;
        Reason = reason;
    }

    public string Path { get; }

    public AtomicWriteFailure Reason { get; }
}
