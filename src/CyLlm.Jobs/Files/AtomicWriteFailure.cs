namespace CyLlm.Jobs.Files;

/// <summary>Why an atomic write failed.</summary>
public enum AtomicWriteFailure
{
    /// <summary>The folder is read-only or not writable by this process (EROFS, EACCES, EPERM).</summary>
    NotWritable,

    /// <summary>No space left (ENOSPC, EDQUOT) or less free space than <see cref="AtomicFileOptions.MinFreeBytes"/> requires.</summary>
    DiskFull,

    /// <summary>The target's folder does not exist.</summary>
    FolderMissing,

    /// <summary>Any other I/O error.</summary>
    Io,
}
