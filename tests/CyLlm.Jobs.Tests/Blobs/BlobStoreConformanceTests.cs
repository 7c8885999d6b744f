using System.Security.Cryptography;
using CyLlm.Jobs.Blobs;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>
/// The one suite every <see cref="IBlobStore"/> passes (derived: local folder, SQLite store, PostgreSQL store). Stores
/// in the database use <see cref="ChunkBytes"/>-byte chunks so "several chunks and a partial one" stays small.
/// </summary>
public abstract class BlobStoreConformanceTests : IAsyncLifetime
{
    /// <summary>Chunk size the database stores are opened with (64 KiB).</summary>
    protected const int ChunkBytes = 64 << 10;

    protected IBlobStore Blobs { get; private set; } = null!;

    /// <summary>Opens the store under test, empty.</summary>
    protected abstract Task<IBlobStore> OpenAsync();

    /// <summary>Changes one stored byte of a blob behind the store's back (a damaged disk or a hand-edited row).</summary>
    protected abstract Task CorruptAsync(string blobId);

    protected abstract Task CleanupAsync();

    public async Task InitializeAsync() => Blobs = await OpenAsync();

    public Task DisposeAsync() => CleanupAsync();

    public static TheoryData<int> Sizes => new() { 0, 1, ChunkBytes - 1, ChunkBytes, (3 * ChunkBytes) + 12_345 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Round_trip_keeps_every_byte_and_records_length_and_sha256(int size)
    {
        byte[] data = Bytes(size, seed: size);
        var info = await Blobs.WriteBlobAsync("file-rt", new MemoryStream(data));
        string sha = Convert.ToHexStringLower(SHA256.HashData(data));
        Assert.Equal(new BlobInfo("file-rt", size, sha), info);
        Assert.Equal(info, await Blobs.GetBlobInfoAsync("file-rt"));
        Assert.Equal(data, await ReadAllAsync("file-rt"));
    }

    [Fact]
    public async Task Reads_come_in_pieces_from_a_forward_only_stream()
    {
        byte[] data = Bytes((2 * ChunkBytes) + 7, seed: 3);
        await Blobs.WriteBlobAsync("file-pieces", new MemoryStream(data));
        await using var s = await Blobs.OpenBlobAsync("file-pieces");
        Assert.False(s.CanSeek);
        var got = new MemoryStream();
        byte[] small = new byte[1000];
        int n;
        while ((n = await s.ReadAsync(small)) > 0)
        {
            Assert.True(n <= small.Length);
            got.Write(small, 0, n);
        }

        Assert.Equal(data, got.ToArray());
    }

    [Fact]
    public async Task A_write_replaces_the_previous_blob_whole()
    {
        await Blobs.WriteBlobAsync("file-re", new MemoryStream(Bytes(3 * ChunkBytes, seed: 1)));
        byte[] second = Bytes(ChunkBytes / 2, seed: 2);
        var info = await Blobs.WriteBlobAsync("file-re", new MemoryStream(second));
        Assert.Equal(second.Length, info.Length);
        Assert.Equal(second, await ReadAllAsync("file-re"));
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_nothing_readable()
    {
        var failing = new FailingStream(Bytes(5 * ChunkBytes, seed: 4), failAfter: (2 * ChunkBytes) + 100);
        await Assert.ThrowsAnyAsync<IOException>(() => Blobs.WriteBlobAsync("file-half", failing));
        Assert.Null(await Blobs.GetBlobInfoAsync("file-half"));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.OpenBlobAsync("file-half"));
    }

    [Fact]
    public async Task A_failed_replacement_keeps_the_old_blob()
    {
        byte[] old = Bytes(ChunkBytes + 5, seed: 5);
        await Blobs.WriteBlobAsync("file-keep", new MemoryStream(old));
        await Assert.ThrowsAnyAsync<IOException>(() => Blobs.WriteBlobAsync("file-keep", new FailingStream(Bytes(4 * ChunkBytes, seed: 6), failAfter: 3 * ChunkBytes)));
        Assert.Equal(old, await ReadAllAsync("file-keep"));
    }

    [Fact]
    public async Task An_oversized_write_is_refused_and_leaves_nothing()
    {
        var e = await Assert.ThrowsAsync<BlobTooLargeException>(() => Blobs.WriteBlobAsync("file-big", new MemoryStream(Bytes((2 * ChunkBytes) + 1, seed: 7)), maxBytes: 2 * ChunkBytes));
        Assert.Equal(2 * ChunkBytes, e.MaxBytes);
        Assert.Null(await Blobs.GetBlobInfoAsync("file-big"));
        // Exactly the limit is fine.
        var info = await Blobs.WriteBlobAsync("file-big", new MemoryStream(Bytes(2 * ChunkBytes, seed: 7)), maxBytes: 2 * ChunkBytes);
        Assert.Equal(2 * ChunkBytes, info.Length);
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_a_repeated_delete_says_so()
    {
        await Blobs.WriteBlobAsync("file-del", new MemoryStream(Bytes(ChunkBytes + 1, seed: 8)));
        Assert.True(await Blobs.DeleteBlobAsync("file-del"));
        Assert.False(await Blobs.DeleteBlobAsync("file-del"));
        Assert.Null(await Blobs.GetBlobInfoAsync("file-del"));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.OpenBlobAsync("file-del"));
    }

    [Fact]
    public async Task A_missing_blob_is_a_typed_not_found()
    {
        var e = await Assert.ThrowsAsync<BlobNotFoundException>(() => Blobs.OpenBlobAsync("file-never"));
        Assert.Equal("file-never", e.BlobId);
        Assert.Null(await Blobs.GetBlobInfoAsync("file-never"));
        Assert.False(await Blobs.DeleteBlobAsync("file-never"));
    }

    [Fact]
    public async Task Damaged_bytes_are_detected_on_read()
    {
        await Blobs.WriteBlobAsync("file-bad", new MemoryStream(Bytes((2 * ChunkBytes) + 3, seed: 9)));
        await CorruptAsync("file-bad");
        await Assert.ThrowsAsync<BlobCorruptException>(() => ReadAllAsync("file-bad"));
    }

    public static TheoryData<string> HostileIds => new()
    {
        "", "../escape", "a/b", "/etc/passwd", "..", ".", "file-x.ok", ".file-x.tmp-1", "a\\b", "a\0b", "file x", "fïle",
        new string('a', BlobIds.MaxLength + 1),
    };

    [Theory]
    [MemberData(nameof(HostileIds))]
    public async Task Hostile_ids_are_refused_before_any_io(string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.WriteBlobAsync(id, new MemoryStream([1, 2, 3])));
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.OpenBlobAsync(id));
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.GetBlobInfoAsync(id));
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.DeleteBlobAsync(id));
    }

    [Fact]
    public async Task The_longest_id_is_accepted()
    {
        string id = new('z', BlobIds.MaxLength);
        await Blobs.WriteBlobAsync(id, new MemoryStream([42]));
        Assert.Equal([42], await ReadAllAsync(id));
    }

    protected async Task<byte[]> ReadAllAsync(string id)
    {
        await using var s = await Blobs.OpenBlobAsync(id);
        var m = new MemoryStream();
        await s.CopyToAsync(m);
        return m.ToArray();
    }

    protected static byte[] Bytes(int n, int seed)
    {
        byte[] b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
