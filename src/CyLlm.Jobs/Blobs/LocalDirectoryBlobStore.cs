using CyLlm.Jobs.Files;

namespace CyLlm.Jobs.Blobs;

/// <summary>
/// Blobs as files of one local folder: <c>DIR/&lt;blob id&gt;</c> written with <see cref="AtomicFile"/> (temp file, fsync,
/// rename) plus its <c>.ok</c> marker, which records the length and SHA-256 checked on read. A blob without a valid
/// marker was never completely written and reads as missing. The gateway's default with SQLite: nothing is shared
/// beyond this machine.
/// </summary>
public sealed class LocalDirectoryBlobStore : IBlobStore
{
    public LocalDirectoryBlobStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>Absolute path of the folder.</summary>
    public string Directory { get; }

    public string BlobKind => "local";

    /// <summary>Where a blob's bytes are (its id is checked first, so the path stays inside <see cref="Directory"/>).</summary>
    public string PathOf(string blobId)
    {
        BlobIds.Require(blobId);
        return Path.Combine(Directory, blobId);
    }

    public async Task<BlobInfo> WriteBlobAsync(string blobId, Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        string path = PathOf(blobId);
        System.IO.Directory.CreateDirectory(Directory);
        try
        {
            var written = await AtomicFile.WriteAsync(path, new LimitedReadStream(content, maxBytes, () => new BlobTooLargeException(blobId, maxBytes)), ct).ConfigureAwait(false);
            return new BlobInfo(blobId, written.SizeBytes, written.Sha256);
        }
        catch (AtomicWriteException e) when (e.InnerException is BlobTooLargeException tooLarge)
        {
            throw tooLarge;
        }
    }

    public async Task<BlobInfo?> GetBlobInfoAsync(string blobId, CancellationToken ct = default)
    {
        string path = PathOf(blobId);
        byte[] marker;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            marker = await File.ReadAllBytesAsync(AtomicFile.MarkerPath(path), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        return AtomicMarker.TryRead(marker) is { } m ? new BlobInfo(blobId, m.Size, m.Sha256) : null;
    }

    public async Task<Stream> OpenBlobAsync(string blobId, CancellationToken ct = default)
    {
        var info = await GetBlobInfoAsync(blobId, ct).ConfigureAwait(false) ?? throw new BlobNotFoundException(blobId, Directory);
        try
        {
            return new VerifyingReadStream(OpenFile(PathOf(blobId)), info);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted between the marker read and the open.
            throw new BlobNotFoundException(blobId, Directory);
        }
    }

    public Task<bool> DeleteBlobAsync(string blobId, CancellationToken ct = default)
    {
        string path = PathOf(blobId);
        bool existed = File.Exists(path);
        try
        {
            // The marker goes first: a blob without one reads as missing, so a delete interrupted halfway leaves nothing readable.
            File.Delete(AtomicFile.MarkerPath(path));
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // No folder, no blob.
        }

        return Task.FromResult(existed);
    }

    /// <summary>Opens a file for a streaming read; FileShare.Delete lets a concurrent delete or replacement go ahead.</summary>
    public static FileStream OpenFile(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 << 10, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
