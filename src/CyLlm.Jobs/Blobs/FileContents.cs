using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Blobs;

/// <summary>
/// The bytes behind <see cref="FileRecord"/>s. <see cref="FileRecord.Path"/> says where they are: <c>store:&lt;blob
/// id&gt;</c> for contents in the job store and <c>s3:&lt;blob id&gt;</c> for contents in the S3 bucket (both shared by
/// replicas), an absolute local path otherwise (files written before
/// shared storage existed, and <c>--file-storage local</c>). New contents go where <see cref="Kind"/> says; existing rows
/// are read from wherever they point, so switching the setting never strands a file. Every read is checked against the
/// row's length and SHA-256.
/// </summary>
public sealed class FileContents
{
    /// <summary>Prefix of <see cref="FileRecord.Path"/> for contents kept in the store.</summary>
    public const string StorePrefix = "store:";

    /// <summary>Prefix of <see cref="FileRecord.Path"/> for contents kept in the S3 bucket.</summary>
    public const string BucketPrefix = "s3:";

    private readonly IBlobStore? _store;
    private readonly IBlobStore? _bucket;

    /// <param name="local">The data folder's <c>files/</c>.</param>
    /// <param name="store">The job store's blobs (null when the store cannot hold them).</param>
    /// <param name="kind">Where new contents go.</param>
    /// <param name="bucket">The S3 bucket's blobs (<see cref="S3.S3BlobStore"/>), or null when none is configured.</param>
    public FileContents(LocalDirectoryBlobStore local, IBlobStore? store, FileStorageKind kind, IBlobStore? bucket = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (kind == FileStorageKind.Store && store is null)
        {
            throw new ArgumentException("--file-storage store needs a store that holds blobs", nameof(store));
        }

        if (kind == FileStorageKind.S3 && bucket is null)
        {
            throw new ArgumentException("--file-storage s3 needs a bucket (--s3-location s3://BUCKET/PREFIX)", nameof(bucket));
        }

        Local = local;
        _store = store;
        _bucket = bucket;
        Kind = kind;
    }

    public LocalDirectoryBlobStore Local { get; }

    public FileStorageKind Kind { get; }

    /// <summary>Writes a file's contents under <paramref name="fileId"/> where <see cref="Kind"/> says.</summary>
    public async Task<StoredContent> WriteAsync(string fileId, Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        if (Kind == FileStorageKind.Store)
        {
            var info = await _store!.WriteBlobAsync(fileId, content, maxBytes, ct).ConfigureAwait(false);
            return new StoredContent(StorePrefix + fileId, info.Length, info.Sha256);
        }

        if (Kind == FileStorageKind.S3)
        {
            var info = await _bucket!.WriteBlobAsync(fileId, content, maxBytes, ct).ConfigureAwait(false);
            return new StoredContent(BucketPrefix + fileId, info.Length, info.Sha256);
        }

        var local = await Local.WriteBlobAsync(fileId, content, maxBytes, ct).ConfigureAwait(false);
        return new StoredContent(Local.PathOf(fileId), local.Length, local.Sha256);
    }

    /// <summary>
    /// Moves contents already written to <see cref="Local"/> (an upload staged there for validation) to where
    /// <see cref="Kind"/> says; with local storage they stay where they are.
    /// </summary>
    public async Task<StoredContent> PromoteAsync(string fileId, CancellationToken ct = default)
    {
        string path = Local.PathOf(fileId);
        if (Kind == FileStorageKind.Local)
        {
            var local = await Local.GetBlobInfoAsync(fileId, ct).ConfigureAwait(false) ?? throw new BlobNotFoundException(fileId, Local.Directory);
            return new StoredContent(path, local.Length, local.Sha256);
        }

        StoredContent stored;
        await using (var staged = await Local.OpenBlobAsync(fileId, ct).ConfigureAwait(false))
        {
            stored = await WriteAsync(fileId, staged, long.MaxValue, ct).ConfigureAwait(false);
        }

        await Local.DeleteBlobAsync(fileId, ct).ConfigureAwait(false);
        return stored;
    }

    /// <summary>A verified, forward-only stream of a file's bytes; <see cref="BlobNotFoundException"/> when they are gone.</summary>
    public async Task<Stream> OpenAsync(FileRecord file, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (SharedBlob(file) is { } shared)
        {
            return await shared.Blobs.OpenBlobAsync(shared.Id, ct).ConfigureAwait(false);
        }

        try
        {
            return new VerifyingReadStream(LocalDirectoryBlobStore.OpenFile(file.Path), new BlobInfo(file.Id, file.Bytes, file.Sha256));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(file.Id, "this server's data folder");
        }
    }

    /// <summary>Removes a file's bytes; missing ones are fine (a retried delete, a failed upload).</summary>
    public async Task DeleteAsync(FileRecord file, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (SharedBlob(file) is { } shared)
        {
            await shared.Blobs.DeleteBlobAsync(shared.Id, ct).ConfigureAwait(false);
            return;
        }

        DeleteLocalPath(file.Path);
    }

    /// <summary>
    /// A local path holding the file's bytes, for code that reads files by path (the trainer): the file itself when it is
    /// local, else a verified copy in <paramref name="cacheDirectory"/> (made once per file id).
    /// </summary>
    public async Task<string> MaterializeAsync(FileRecord file, string cacheDirectory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (SharedBlob(file) is not { Id: var blobId })
        {
            return file.Path;
        }

        var cache = new LocalDirectoryBlobStore(cacheDirectory);
        if (await cache.GetBlobInfoAsync(blobId, ct).ConfigureAwait(false) is { } have && have.Sha256 == file.Sha256 && have.Length == file.Bytes)
        {
            return cache.PathOf(blobId);
        }

        await using (var source = await OpenAsync(file, ct).ConfigureAwait(false))
        {
            await cache.WriteBlobAsync(blobId, source, long.MaxValue, ct).ConfigureAwait(false);
        }

        return cache.PathOf(blobId);
    }

    /// <summary>Deletes a local file and its AtomicFile marker, ignoring ones already gone or undeletable (orphans are harmless).</summary>
    public static void DeleteLocalPath(string path)
    {
        foreach (string p in (ReadOnlySpan<string>)[AtomicFile.MarkerPath(path), path])
        {
            try
            {
                File.Delete(p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No row points at these bytes any more; a purge of the folder removes them.
            }
        }
    }

    /// <summary>The shared store and blob id behind a <c>store:</c> or <c>s3:</c> path; null for a local path.</summary>
    private (IBlobStore Blobs, string Id)? SharedBlob(FileRecord file)
    {
        if (file.Path.StartsWith(StorePrefix, StringComparison.Ordinal))
        {
            return (_store ?? throw new BlobNotFoundException(file.Id, "the store (this server's store does not hold file contents)"), file.Path[StorePrefix.Length..]);
        }

        if (file.Path.StartsWith(BucketPrefix, StringComparison.Ordinal))
        {
            return (_bucket ?? throw new BlobNotFoundException(file.Id, "an S3 bucket, which this server is not configured with (--s3-location)"), file.Path[BucketPrefix.Length..]);
        }

        return null;
    }
}
