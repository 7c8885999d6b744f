using System.Buffers;
using System.Data.Common;
using System.Security.Cryptography;
using CyLlm.Jobs.Blobs;

namespace CyLlm.Jobs.Storage;

/// <summary>
/// File contents in the store (<c>--file-storage store</c>): tables <c>blobs</c> (id → generation, size, SHA-256, chunk
/// count) and <c>blob_chunks</c> ((blob id, generation, index) → at most <see cref="JobStoreOptions.BlobChunkBytes"/>
/// bytes). A write inserts its chunks under a fresh generation, each chunk in its own short transaction (so neither
/// SQLite's write lock nor a PostgreSQL transaction is held for the length of an upload), then points the blob row at the
/// generation and deletes the previous generation's chunks in one transaction: before that commit nothing of the write is
/// readable, and a failed write leaves the old blob untouched (its chunks are deleted at once, or by
/// <see cref="PurgeExpiredAsync"/> after an hour when the writer was killed).
/// </summary>
public abstract partial class AdoJobStore : IBlobStore
{
    public string BlobKind => "store";

    public async Task<BlobInfo> WriteBlobAsync(string blobId, Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        int chunkBytes = Options.BlobChunkBytes;
        string generation = Guid.NewGuid().ToString("N");
        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0, chunks = 0;
        try
        {
            while (true)
            {
                int filled = 0, n;
                while (filled < chunkBytes && (n = await content.ReadAsync(buffer.AsMemory(filled, chunkBytes - filled), ct).ConfigureAwait(false)) > 0)
                {
                    filled += n;
                    if (total + filled > maxBytes)
                    {
                        throw new BlobTooLargeException(blobId, maxBytes);
                    }
                }

                if (filled == 0)
                {
                    break;
                }

                hash.AppendData(buffer, 0, filled);
                total += filled;
                byte[] data = buffer.AsSpan(0, filled).ToArray();
                long index = chunks;
                await WriteAsync(async (c, tx, ct) =>
                {
                    var cmd = Command(c, tx, "INSERT INTO blob_chunks (blob_id, generation, idx, data, created_at) VALUES (@id, @gen, @idx, @data, @now)");
                    Param(cmd, "@id", blobId);
                    Param(cmd, "@gen", generation);
                    Param(cmd, "@idx", index);
                    Param(cmd, "@data", data);
                    Param(cmd, "@now", NowMs());
                    return await ExecAsync(cmd, ct).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
                chunks++;
                if (filled < chunkBytes)
                {
                    break;
                }
            }

            var info = new BlobInfo(blobId, total, Convert.ToHexStringLower(hash.GetHashAndReset()));
            await WriteAsync(async (c, tx, ct) =>
            {
                var old = Command(c, tx, $"SELECT generation FROM blobs WHERE id = @id{LockRow}");
                Param(old, "@id", blobId);
                string? previous;
                await using (old.ConfigureAwait(false))
                {
                    previous = await old.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
                }

                var put = Command(c, tx, "INSERT INTO blobs (id, generation, size_bytes, sha256, chunk_count, created_at) VALUES (@id, @gen, @size, @sha, @chunks, @now) "
                    + "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, size_bytes = excluded.size_bytes, sha256 = excluded.sha256, "
                    + "chunk_count = excluded.chunk_count, created_at = excluded.created_at");
                Param(put, "@id", blobId);
                Param(put, "@gen", generation);
                Param(put, "@size", info.Length);
                Param(put, "@sha", info.Sha256);
                Param(put, "@chunks", chunks);
                Param(put, "@now", NowMs());
                await ExecAsync(put, ct).ConfigureAwait(false);
                if (previous is not null)
                {
                    await DeleteChunksAsync(c, tx, blobId, previous, ct).ConfigureAwait(false);
                }

                return 0;
            }, ct).ConfigureAwait(false);
            return info;
        }
        catch when (chunks > 0)
        {
            await DiscardGenerationAsync(blobId, generation).ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task<BlobInfo?> GetBlobInfoAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        return ReadAsync(async (c, ct) => (await ReadBlobRowAsync(c, blobId, ct).ConfigureAwait(false))?.Info, ct);
    }

    public async Task<Stream> OpenBlobAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        var row = await ReadAsync((c, ct) => ReadBlobRowAsync(c, blobId, ct), ct).ConfigureAwait(false)
            ?? throw new BlobNotFoundException(blobId, Location);
        string generation = row.Generation;
        var chunks = new ChunkedBlobReadStream(blobId, row.Chunks, (index, ct) => ReadAsync(async (c, ct) =>
        {
            var cmd = Command(c, null, "SELECT data FROM blob_chunks WHERE blob_id = @id AND generation = @gen AND idx = @idx");
            Param(cmd, "@id", blobId);
            Param(cmd, "@gen", generation);
            Param(cmd, "@idx", index);
            await using (cmd.ConfigureAwait(false))
            {
                return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as byte[];
            }
        }, ct));
        return new VerifyingReadStream(chunks, row.Info);
    }

    public Task<bool> DeleteBlobAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Require(blobId);
        return WriteAsync(async (c, tx, ct) =>
        {
            var old = Command(c, tx, $"SELECT generation FROM blobs WHERE id = @id{LockRow}");
            Param(old, "@id", blobId);
            string? generation;
            await using (old.ConfigureAwait(false))
            {
                generation = await old.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
            }

            if (generation is null)
            {
                return false;
            }

            var del = Command(c, tx, "DELETE FROM blobs WHERE id = @id");
            Param(del, "@id", blobId);
            await ExecAsync(del, ct).ConfigureAwait(false);
            // Only this generation's chunks: a write of a new generation in progress keeps its own.
            await DeleteChunksAsync(c, tx, blobId, generation, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    private static async Task<(BlobInfo Info, string Generation, long Chunks)?> ReadBlobRowAsync(DbConnection c, string blobId, CancellationToken ct)
    {
        var cmd = Command(c, null, "SELECT generation, size_bytes, sha256, chunk_count FROM blobs WHERE id = @id");
        Param(cmd, "@id", blobId);
        await using (cmd.ConfigureAwait(false))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            return (new BlobInfo(blobId, r.GetInt64(1), r.GetString(2)), r.GetString(0), r.GetInt64(3));
        }
    }

    private static Task<int> DeleteChunksAsync(DbConnection c, DbTransaction tx, string blobId, string generation, CancellationToken ct)
    {
        var cmd = Command(c, tx, "DELETE FROM blob_chunks WHERE blob_id = @id AND generation = @gen");
        Param(cmd, "@id", blobId);
        Param(cmd, "@gen", generation);
        return ExecAsync(cmd, ct);
    }

    /// <summary>Best effort after a failed write (also when it was cancelled, hence no token); what stays is purged later.</summary>
    private async Task DiscardGenerationAsync(string blobId, string generation)
    {
        try
        {
            await WriteAsync((c, tx, ct) => DeleteChunksAsync(c, tx, blobId, generation, ct), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or JobStoreException or InvalidOperationException)
        {
            // The store is unreachable now; PurgeExpiredAsync removes the orphaned chunks once they are an hour old.
        }
    }
}
