using CyLlm.Gateway.State;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;
using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Fine-tuning files shared through the store (<c>--file-storage store</c>), so a job whose replica died resumes on
/// another one: training and validation files are copied from the file storage into <c>DATA/cache/files</c>, and each
/// checkpoint file is stored as blob <c>ckpt-&lt;job id&gt;-&lt;step&gt;</c> before it is recorded, then fetched into the
/// new replica's job folder (AtomicFile, verified) on takeover. Checkpoints that are folders are not shared. Of the
/// checkpoints this process shared for a job, the newest <see cref="KeptCheckpoints"/> stay in the store (a takeover
/// resumes from the newest recorded one; the one before covers a damaged newest).
/// </summary>
public sealed class SharedFineTuneFiles(StoreHost host, IBlobStore blobs) : IFineTuneSharedFiles
{
    public const int KeptCheckpoints = 2;

    // Steps shared by this process, per job, oldest first.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Queue<long>> _shared = new(StringComparer.Ordinal);

    /// <summary>The blob holding a job's checkpoint of one step.</summary>
    public static string CheckpointBlobId(string jobId, long step) => $"ckpt-{jobId}-{step.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public async Task<FineTuneJobSpec> LocalizeAsync(FineTuneJobSpec spec, string tenantId, CancellationToken ct)
    {
        string training = await LocalPathAsync(spec.TrainingFileId, spec.TrainingFilePath, tenantId, ct);
        string? validation = spec.ValidationFileId is { } vid && spec.ValidationFilePath is { } vp ? await LocalPathAsync(vid, vp, tenantId, ct) : spec.ValidationFilePath;
        return spec with { TrainingFilePath = training, ValidationFilePath = validation };
    }

    public async Task ShareCheckpointAsync(string jobId, FineTuneCheckpoint checkpoint, CancellationToken ct)
    {
        if (!File.Exists(checkpoint.Path))
        {
            return;
        }

        await using (var file = LocalDirectoryBlobStore.OpenFile(checkpoint.Path))
        {
            await blobs.WriteBlobAsync(CheckpointBlobId(jobId, checkpoint.Step), file, long.MaxValue, ct);
        }

        var steps = _shared.GetOrAdd(jobId, _ => new Queue<long>());
        List<long> stale = [];
        lock (steps)
        {
            steps.Enqueue(checkpoint.Step);
            while (steps.Count > KeptCheckpoints)
            {
                stale.Add(steps.Dequeue());
            }
        }

        foreach (long step in stale)
        {
            await blobs.DeleteBlobAsync(CheckpointBlobId(jobId, step), ct);
        }
    }

    public async Task<string?> FetchCheckpointAsync(string jobId, long step, string relativePath, string workDirectory, CancellationToken ct)
    {
        string target = Path.GetFullPath(Path.Combine(workDirectory, relativePath));
        if (!target.StartsWith(Path.GetFullPath(workDirectory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            // A recorded path that would land outside the job folder is not followed.
            return null;
        }

        Stream source;
        try
        {
            source = await blobs.OpenBlobAsync(CheckpointBlobId(jobId, step), ct);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }

        await using (source)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await AtomicFile.WriteAsync(target, source, ct);
        }

        return target;
    }

    /// <summary>The recorded path when it exists here (this replica accepted the job), else a verified local copy of the file.</summary>
    private async Task<string> LocalPathAsync(string fileId, string recordedPath, string tenantId, CancellationToken ct)
    {
        if (File.Exists(recordedPath))
        {
            return recordedPath;
        }

        var file = await host.Store.GetFileAsync(tenantId, fileId, ct);
        return file is null ? recordedPath : await host.Contents.MaterializeAsync(file, host.FileCacheDirectory, ct);
    }
}
