using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace CyLlm.Jobs.Files;

/// <summary>
/// Crash-safe file replacement. A write goes: content → temp file in the same folder (<c>.NAME.tmp-PID-RAND</c>), fsync;
/// marker → temp marker, fsync; rename temp over target; rename temp marker over <c>NAME.ok</c>; fsync the folder. A
/// kill at any moment leaves the old file or the new one, never a mix (rename is atomic), and the marker records size,
/// SHA-256 and time so <see cref="Verify"/> can prove a file is whole. The temp marker is written before the target is
/// renamed, so a kill between the two renames leaves the new file plus a pending marker that <see cref="Recover"/> promotes.
/// </summary>
/// <remarks>Split over AtomicFile.*.cs (verify and recover).</remarks>
public static partial class AtomicFile
{
    public const string MarkerSuffix = ".ok";

    /// <summary>Infix of temp names: <c>.NAME.tmp-…</c> for content, <c>.NAME.ok.tmp-…</c> for the marker.</summary>
    public const string TempInfix = ".tmp-";

    // Linux errno values the write path classifies (asm-generic/errno-base.h).
    private const int EPerm = 1;
    private const int EAcces = 13;
    private const int ENoSpc = 28;
    private const int ERofs = 30;
    private const int EDQuot = 122;

    /// <summary>The marker path of a file: the file's path plus <c>.ok</c>.</summary>
    public static string MarkerPath(string path) => Path.GetFullPath(path) + MarkerSuffix;

    public static Task<AtomicWriteResult> WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        WriteAsync(path, content, AtomicFileOptions.Default, ct);

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>; throws <see cref="AtomicWriteException"/> leaving the target untouched.</summary>
    public static Task<AtomicWriteResult> WriteAsync(string path, ReadOnlyMemory<byte> content, AtomicFileOptions options, CancellationToken ct = default) =>
        WriteCoreAsync(path, content.Length, options, (fs, hash, _, ct) =>
        {
            hash.AppendData(content.Span);
            return fs.WriteAsync(content, ct);
        }, ct);

    public static Task<AtomicWriteResult> WriteAsync(string path, Stream content, CancellationToken ct = default) =>
        WriteAsync(path, content, AtomicFileOptions.Default, ct);

    /// <summary>Atomically replaces <paramref name="path"/> with the rest of <paramref name="content"/> (copied in <see cref="AtomicFileOptions.BufferSize"/> chunks).</summary>
    public static Task<AtomicWriteResult> WriteAsync(string path, Stream content, AtomicFileOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        long expected = content.CanSeek ? Math.Max(0, content.Length - content.Position) : 0;
        return WriteCoreAsync(path, expected, options, async (fs, hash, bufferSize, ct) =>
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                int n;
                while ((n = await content.ReadAsync(buffer.AsMemory(0, bufferSize), ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await fs.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, ct);
    }

    private static async Task<AtomicWriteResult> WriteCoreAsync(string path, long expectedSize, AtomicFileOptions options,
        Func<FileStream, IncrementalHash, int, CancellationToken, ValueTask> writeContent, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BufferSize is < 4096 or > 64 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BufferSize, "buffer size must be within 4 KiB..64 MiB");
        }

        string target = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' has no folder", nameof(path));
        string name = Path.GetFileName(target);
        if (name.Length == 0)
        {
            throw new ArgumentException($"'{path}' names a folder, not a file", nameof(path));
        }

        if (!Directory.Exists(dir))
        {
            throw new AtomicWriteException(target, AtomicWriteFailure.FolderMissing, $"folder {dir} does not exist");
        }

        CheckFreeSpace(target, dir, expectedSize, options.MinFreeBytes);

        string suffix = $"{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
        string tempData = Path.Combine(dir, $".{name}{TempInfix}{suffix}");
        string tempMarker = Path.Combine(dir, $".{name}{MarkerSuffix}{TempInfix}{suffix}");
        string marker = target + MarkerSuffix;
        bool renamed = false;
        try
        {
            long size;
            string sha;
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                // PreallocationSize reserves the blocks (fallocate) when the size is known: a full disk fails here, before any byte is written.
                var streamOptions = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    BufferSize = 0,
                    Options = FileOptions.Asynchronous,
                    PreallocationSize = expectedSize,
                };
                await using (var fs = new FileStream(tempData, streamOptions))
                {
                    await writeContent(fs, hash, options.BufferSize, ct).ConfigureAwait(false);
                    size = fs.Length;
                    fs.Flush(flushToDisk: true);
                }

                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            var at = DateTimeOffset.UtcNow;
            await WriteMarkerTempAsync(tempMarker, new AtomicMarker(name, size, sha, at), ct).ConfigureAwait(false);

            File.Move(tempData, target, overwrite: true);
            renamed = true;
            File.Move(tempMarker, marker, overwrite: true);
            DirectorySync.Fsync(dir);
            return new AtomicWriteResult(target, marker, size, sha, at);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not AtomicWriteException)
        {
            TryDelete(tempData);
            if (!renamed)
            {
                TryDelete(tempMarker);
            }

            throw Classify(target, dir, e);
        }
        catch
        {
            // Cancellation or a bug: never leave our temps behind; the target is untouched unless the rename already happened.
            TryDelete(tempData);
            if (!renamed)
            {
                TryDelete(tempMarker);
            }

            throw;
        }
    }

    private static async Task WriteMarkerTempAsync(string tempMarker, AtomicMarker m, CancellationToken ct)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(m, AtomicMarker.JsonOptions);
        await using var fs = new FileStream(tempMarker, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.Asynchronous);
        await fs.WriteAsync(json, ct).ConfigureAwait(false);
        fs.Flush(flushToDisk: true);
    }

    private static void CheckFreeSpace(string target, string dir, long size, long minFree)
    {
        if (minFree <= 0)
        {
            return;
        }

        long available;
        try
        {
            available = new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new AtomicWriteException(target, AtomicWriteFailure.Io, $"cannot read the free space of {dir} ({e.Message})", e);
        }

        if (available - size < minFree)
        {
            throw new AtomicWriteException(target, AtomicWriteFailure.DiskFull,
                $"disk full: {dir} has {available:N0} bytes free, the write needs {size:N0} plus a reserve of {minFree:N0}");
        }
    }

    private static AtomicWriteException Classify(string target, string dir, Exception e)
    {
        int errno = e.HResult & 0xFFFF;
        Debug.Assert(e is IOException or UnauthorizedAccessException, "only I/O errors are classified");
        if (e is UnauthorizedAccessException || errno is EPerm or EAcces or ERofs)
        {
            return new AtomicWriteException(target, AtomicWriteFailure.NotWritable, $"folder {dir} is read-only or not writable ({e.Message})", e);
        }

        if (errno is ENoSpc or EDQuot)
        {
            return new AtomicWriteException(target, AtomicWriteFailure.DiskFull, $"disk full in {dir} ({e.Message})", e);
        }

        return e is DirectoryNotFoundException
            ? new AtomicWriteException(target, AtomicWriteFailure.FolderMissing, $"folder {dir} disappeared ({e.Message})", e)
            : new AtomicWriteException(target, AtomicWriteFailure.Io, e.Message, e);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: Verify reports a leftover temp and Recover removes it later.
        }
    }
}
