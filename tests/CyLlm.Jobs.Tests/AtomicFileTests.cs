using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task Write_returns_and_records_size_hash_time_and_leaves_no_temp()
    {
        string path = dir.File("model.bin");
        byte[] content = Bytes(100_000, 1);
        var before = DateTimeOffset.UtcNow;
        var r = await AtomicFile.WriteAsync(path, content);
        Assert.Equal(path, r.Path);
        Assert.Equal(path + ".ok", r.MarkerPath);
        Assert.Equal(100_000, r.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), r.Sha256);
        Assert.InRange(r.WrittenAt, before, DateTimeOffset.UtcNow);
        Assert.Equal(content, File.ReadAllBytes(path));
        using var marker = JsonDocument.Parse(File.ReadAllBytes(r.MarkerPath));
        Assert.Equal(r.Sha256, marker.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(100_000, marker.RootElement.GetProperty("size").GetInt64());
        Assert.Equal("model.bin", marker.RootElement.GetProperty("file").GetString());
        var v = AtomicFile.Verify(path);
        Assert.Equal(AtomicVerifyStatus.Ok, v.Status);
        Assert.True(v.IsOk);
        Assert.Empty(AtomicFile.FindTemps(path));
        Assert.Equal(["model.bin", "model.bin.ok"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Stream_writes_hash_the_same_as_byte_writes_and_overwrite_replaces()
    {
        string path = dir.File("a.bin");
        byte[] v1 = Bytes(3_000_000, 2);
        var r1 = await AtomicFile.WriteAsync(path, new NonSeekableStream(v1), new AtomicFileOptions { BufferSize = 64 * 1024 });
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(v1)), r1.Sha256);
        byte[] v2 = Bytes(10, 3);
        var r2 = await AtomicFile.WriteAsync(path, new MemoryStream(v2));
        Assert.Equal(10, r2.SizeBytes);
        Assert.Equal(v2, File.ReadAllBytes(path));
        Assert.True(AtomicFile.Verify(path).IsOk);
        var empty = await AtomicFile.WriteAsync(dir.File("empty"), ReadOnlyMemory<byte>.Empty);
        Assert.Equal(0, empty.SizeBytes);
        Assert.True(AtomicFile.Verify(empty.Path).IsOk);
    }

    [Fact]
    public async Task Verify_names_every_kind_of_damage()
    {
        string path = dir.File("f.bin");
        Assert.Equal(AtomicVerifyStatus.MissingFile, AtomicFile.Verify(path).Status);
        File.WriteAllBytes(path, Bytes(100, 4));
        var missing = AtomicFile.Verify(path);
        Assert.Equal(AtomicVerifyStatus.MissingMarker, missing.Status);
        Assert.Contains("no .ok marker", missing.Message);

        await AtomicFile.WriteAsync(path, Bytes(100, 4));
        File.AppendAllText(path, "x");
        var size = AtomicFile.Verify(path);
        Assert.Equal(AtomicVerifyStatus.SizeMismatch, size.Status);
        Assert.Equal((100L, 101L), (size.ExpectedSize!.Value, size.ActualSize!.Value));

        await AtomicFile.WriteAsync(path, Bytes(100, 4));
        byte[] flipped = File.ReadAllBytes(path);
        flipped[50] ^= 1;
        File.WriteAllBytes(path, flipped);
        var hash = AtomicFile.Verify(path);
        Assert.Equal(AtomicVerifyStatus.HashMismatch, hash.Status);
        Assert.Contains("differs from its marker", hash.Message);

        await AtomicFile.WriteAsync(path, Bytes(100, 4));
        File.WriteAllText(path + ".ok", "{\"file\":\"f.bin\",\"size\":");
        Assert.Equal(AtomicVerifyStatus.InvalidMarker, AtomicFile.Verify(path).Status);

        await AtomicFile.WriteAsync(path, Bytes(100, 4));
        File.WriteAllBytes(dir.File(".f.bin.tmp-123-deadbeef"), Bytes(7, 5));
        var leftover = AtomicFile.Verify(path);
        Assert.Equal(AtomicVerifyStatus.LeftoverTemp, leftover.Status);
        Assert.Single(leftover.LeftoverTemps);
        Assert.Equal(AtomicVerifyStatus.Ok, AtomicFile.Recover(path).Status);
        Assert.Empty(AtomicFile.FindTemps(path));
    }

    [Fact]
    public async Task Recover_promotes_the_pending_marker_of_a_write_killed_between_its_renames()
    {
        string path = dir.File("ckpt.bin");
        await AtomicFile.WriteAsync(path, Bytes(1000, 6));

        // State after a kill between "rename data" and "rename marker": new data, old marker, pending new marker.
        byte[] v2 = Bytes(2000, 7);
        var scratch = await AtomicFile.WriteAsync(dir.File("scratch"), v2);
        string pendingMarker = File.ReadAllText(scratch.MarkerPath).Replace("\"scratch\"", "\"ckpt.bin\"", StringComparison.Ordinal);
        File.WriteAllText(dir.File(".ckpt.bin.ok.tmp-999-0123abcd"), pendingMarker);
        File.WriteAllBytes(path, v2);
        Assert.Equal(AtomicVerifyStatus.SizeMismatch, AtomicFile.Verify(path).Status);

        var recovered = AtomicFile.Recover(path);
        Assert.Equal(AtomicVerifyStatus.Ok, recovered.Status);
        Assert.Equal(scratch.Sha256, recovered.ActualSha256);
        Assert.Empty(AtomicFile.FindTemps(path));

        // A pending marker that does not describe the file is never promoted.
        File.WriteAllText(dir.File(".ckpt.bin.ok.tmp-999-0123abce"), pendingMarker);
        File.WriteAllBytes(path, Bytes(2000, 8));
        Assert.Equal(AtomicVerifyStatus.HashMismatch, AtomicFile.Recover(path).Status);
    }

    [Fact]
    public async Task A_missing_folder_a_read_only_folder_and_a_full_disk_fail_clearly_and_leave_the_target_untouched()
    {
        var missing = await Assert.ThrowsAsync<AtomicWriteException>(() => AtomicFile.WriteAsync(dir.File("no/such/x.bin"), Bytes(10, 9)));
        Assert.Equal(AtomicWriteFailure.FolderMissing, missing.Reason);
        Assert.IsAssignableFrom<IOException>(missing);

        string path = dir.File("config.json");
        byte[] original = Bytes(500, 10);
        await AtomicFile.WriteAsync(path, original);
        using (new ReadOnlyPath(dir.Path))
        {
            var ro = await Assert.ThrowsAsync<AtomicWriteException>(() => AtomicFile.WriteAsync(path, Bytes(600, 11)));
            Assert.Equal(AtomicWriteFailure.NotWritable, ro.Reason);
            Assert.Contains("read-only or not writable", ro.Message);
            Assert.Contains("left untouched", ro.Message);
        }

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.True(AtomicFile.Verify(path).IsOk);

        var full = await Assert.ThrowsAsync<AtomicWriteException>(() =>
            AtomicFile.WriteAsync(path, Bytes(600, 12), new AtomicFileOptions { MinFreeBytes = long.MaxValue / 4 }));
        Assert.Equal(AtomicWriteFailure.DiskFull, full.Reason);
        Assert.Contains("disk full", full.Message);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(AtomicVerifyStatus.Ok, AtomicFile.Verify(path).Status);
    }

    [Fact]
    public async Task A_cancelled_write_removes_its_temps_and_keeps_the_old_file()
    {
        string path = dir.File("big.bin");
        await AtomicFile.WriteAsync(path, Bytes(100, 13));
        using var cts = new CancellationTokenSource();
        var source = new NonSeekableStream(Bytes(4_000_000, 14)) { OnRead = n => { if (n > 1_000_000) { cts.Cancel(); } } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, source, new AtomicFileOptions { BufferSize = 65536 }, cts.Token));
        Assert.Equal(Bytes(100, 13), File.ReadAllBytes(path));
        Assert.Equal(AtomicVerifyStatus.Ok, AtomicFile.Verify(path).Status);
    }

    [Fact]
    public async Task One_megabyte_write_is_fast()
    {
        // Benchmark guard (the target is 10 ms on a local SSD; shared CI disks vary): median of 9 writes, generous bound.
        byte[] mb = Bytes(1 << 20, 15);
        var times = new List<double>();
        for (int i = 0; i < 9; i++)
        {
            var sw = Stopwatch.StartNew();
            await AtomicFile.WriteAsync(dir.File("mb.bin"), mb);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Assert.True(times[4] < 50, $"median 1 MiB atomic write took {times[4]:F1} ms");
    }

    /// <summary>A read-only stream without Length, like a network body.</summary>
    private sealed class NonSeekableStream(byte[] data) : Stream
    {
        private int pos;

        public Action<int>? OnRead { get; init; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, data.Length - pos);
            Array.Copy(data, pos, buffer, offset, n);
            pos += n;
            OnRead?.Invoke(pos);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
