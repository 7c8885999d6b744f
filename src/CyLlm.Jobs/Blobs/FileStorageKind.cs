namespace CyLlm.Jobs.Blobs;

/// <summary>Where new file contents go (<c>--file-storage</c>). Persisted in settings files by name: append only.</summary>
public enum FileStorageKind
{
    /// <summary>The data folder's <c>files/</c> (one machine; the default with SQLite).</summary>
    Local = 0,

    /// <summary>The job store, in chunks: shared by every replica on one PostgreSQL (the default with PostgreSQL).</summary>
    Store = 1,

    /// <summary>An S3-compatible bucket (<c>--s3-location s3://BUCKET/PREFIX</c>): shared by every replica that names it.</summary>
    S3 = 2,
}
