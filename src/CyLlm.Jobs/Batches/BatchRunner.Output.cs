using System.Globalization;
using System.Text.Json;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Batches;

/// <summary>Output and error files.</summary>
public sealed partial class BatchRunner
{
    /// <summary>Id of a batch's output file (deterministic, so a repeated finalization registers the same file).</summary>
    public static string OutputFileId(TaskId batchId) => $"file-{Suffix(batchId)}-output";

    public static string ErrorFileId(TaskId batchId) => $"file-{Suffix(batchId)}-errors";

    /// <summary>
    /// Writes <c>{batch}_output.jsonl</c> (2xx answers) and <c>{batch}_errors.jsonl</c> (everything else) in line order
    /// from the recorded answers, atomically, and registers them as files of the batch's tenant (purpose batch_output).
    /// The bytes depend only on the answers, so a repeated finalization writes identical files.
    /// </summary>
    private async Task<(BatchResult Result, IReadOnlyList<BatchLineResult> Results)> WriteOutputsAsync(TaskRecord task, IReadOnlyList<BatchRequestLine> lines, CancellationToken ct)
    {
        var results = await store.ListBatchResultsAsync(task.Id, ct).ConfigureAwait(false);
        Directory.CreateDirectory(options.OutputDirectory);
        using var output = new MemoryStream();
        using var errors = new MemoryStream();
        int completed = 0, failed = 0;
        foreach (var r in results)
        {
            var target = r.Succeeded ? output : errors;
            if (r.Succeeded)
            {
                completed++;
            }
            else
            {
                failed++;
            }

            using (var w = new Utf8JsonWriter(target))
            {
                WriteLine(w, task.Id, r);
            }

            target.WriteByte((byte)'\n');
        }

        string? outputId = completed > 0 ? await RegisterAsync(task, OutputFileId(task.Id), $"{task.Id}_output.jsonl", output.ToArray(), ct).ConfigureAwait(false) : null;
        string? errorId = failed > 0 ? await RegisterAsync(task, ErrorFileId(task.Id), $"{task.Id}_errors.jsonl", errors.ToArray(), ct).ConfigureAwait(false) : null;
        return (new BatchResult(new BatchRequestCounts(lines.Count, completed, failed), outputId, errorId), results);
    }

    private async Task<string> RegisterAsync(TaskRecord task, string fileId, string fileName, byte[] content, CancellationToken ct)
    {
        StoredContent written;
        if (options.Contents is { } contents)
        {
            // Deterministic id and bytes: a repeated finalization (another replica finishing after a takeover) rewrites the same blob.
            using var stream = new MemoryStream(content, writable: false);
            written = await contents.WriteAsync(fileId, stream, long.MaxValue, ct).ConfigureAwait(false);
        }
        else
        {
            var local = await AtomicFile.WriteAsync(Path.Combine(options.OutputDirectory, fileName), content, ct).ConfigureAwait(false);
            written = new StoredContent(local.Path, local.SizeBytes, local.Sha256);
        }

        await store.AddFileAsync(new FileRecord(fileId, task.TenantId, "batch_output", fileName, written.SizeBytes, written.Sha256, written.Path, store.Time.GetUtcNow()), ct).ConfigureAwait(false);
        return fileId;
    }

    /// <summary>One OpenAI batch output line: id, custom_id, response {status_code, request_id, body}, error {code, message}.</summary>
    private static void WriteLine(Utf8JsonWriter w, TaskId batchId, BatchLineResult r)
    {
        string requestId = string.Create(CultureInfo.InvariantCulture, $"{batchId}-{r.LineIndex}");
        w.WriteStartObject();
        w.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"batch_req_{Suffix(batchId)}_{r.LineIndex}"));
        w.WriteString("custom_id", r.CustomId);
        if (r.ResponseBody is not null)
        {
            w.WriteStartObject("response");
            w.WriteNumber("status_code", r.StatusCode);
            w.WriteString("request_id", requestId);
            w.WritePropertyName("body");
            w.WriteRawValue(r.ResponseBody);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("response");
        }

        if (r.ErrorCode is not null)
        {
            w.WriteStartObject("error");
            w.WriteString("code", r.ErrorCode);
            w.WriteString("message", r.ErrorMessage ?? "");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }

        w.WriteEndObject();
    }

    private static string Suffix(TaskId id) => id.Value[TaskId.PrefixOf(TaskKind.Batch).Length..];
}
