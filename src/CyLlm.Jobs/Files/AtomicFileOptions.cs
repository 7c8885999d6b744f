namespace CyLlm.Jobs.Files;

/// <summary>Settings of an atomic write.</summary>
public sealed record AtomicFileOptions
{
    public static readonly AtomicFileOptions Default = new();

    /// <summary>
    /// Free space (bytes) the folder's file system must still have after the write; checked before anything is created,
    /// so a nearly full disk fails fast with <see cref="AtomicWriteFailure.DiskFull"/> instead of half-writing a temp file.
    /// </summary>
    public long MinFreeBytes { get; init; }

    /// <summary>Copy buffer for stream content, bytes.</summary>
    public int BufferSize { get; init; } = 1 << 20;
}
