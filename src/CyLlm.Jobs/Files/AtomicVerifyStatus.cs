namespace CyLlm.Jobs.Files;

/// <summary>Outcome of <see cref="AtomicFile.Verify"/>. Only <see cref="Ok"/> means the file is exactly what its marker recorded.</summary>
public enum AtomicVerifyStatus
{
    Ok,

    /// <summary>The target file does not exist.</summary>
    MissingFile,

    /// <summary>The file exists but has no <c>.ok</c> marker: it was not written by AtomicFile, or its write never finished.</summary>
    MissingMarker,

    /// <summary>The marker is not a valid marker document.</summary>
    InvalidMarker,

    /// <summary>The file's size differs from the marker's.</summary>
    SizeMismatch,

    /// <summary>Same size, different SHA-256: the content changed or is torn.</summary>
    HashMismatch,

    /// <summary>The file matches its marker, but temporary files of an interrupted write remain beside it (run <see cref="AtomicFile.Recover"/>).</summary>
    LeftoverTemp,
}
