using System.Globalization;
using CyLlm.Jobs;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>Builds the OpenAI batch object from the batch task and its event history.</summary>
public static class BatchMapper
{
    public static async Task<BatchObject> ToObjectAsync(IJobStore store, TaskRecord task, CancellationToken ct)
    {
        var history = await store.GetTaskHistoryAsync(task.Id, ct);
        return ToObject(task, history);
    }

    public static BatchObject ToObject(TaskRecord task, IReadOnlyList<TaskEvent> history)
    {
        var input = StoredBatchInput.FromJson(task.Input);
        var result = BatchResult.FromJson(task.Result);
        long? inProgress = null, finalizing = null, completed = null, failed = null, expired = null, cancelling = null, cancelled = null;
        foreach (var e in history)
        {
            long at = e.At.ToUnixTimeSeconds();
            switch (e.ToStage)
            {
                case TaskStage.InProgress: inProgress ??= at; break;
                case TaskStage.Finalizing: finalizing ??= at; break;
                case TaskStage.Completed: completed ??= at; break;
                case TaskStage.Failed: failed ??= at; break;
                case TaskStage.Expired: expired ??= at; break;
                case TaskStage.Cancelling: cancelling ??= at; break;
                case TaskStage.Cancelled: cancelled ??= at; break;
            }
        }

        TimeSpan window;
        try
        {
            window = new BatchSpec(input.InputFileId, input.Endpoint, input.CompletionWindow).Window();
        }
        catch (FormatException)
        {
            window = TimeSpan.FromHours(24);
        }

        return new BatchObject(
            task.Id.Value, "batch", input.Endpoint, ErrorsOf(task), input.InputFileId, input.CompletionWindow,
            TaskApiNames.Stage(task.Stage), result?.OutputFileId, result?.ErrorFileId,
            task.CreatedAt.ToUnixTimeSeconds(), inProgress, (task.CreatedAt + window).ToUnixTimeSeconds(),
            finalizing, completed, failed, expired, cancelling, cancelled,
            result?.RequestCounts ?? new BatchRequestCounts(0, 0, 0), input.Metadata);
    }

    /// <summary>The task's error as OpenAI's list; "line N: …" messages (input validation) carry the line number.</summary>
    private static BatchErrors? ErrorsOf(TaskRecord task)
    {
        if (task.Error is not { } error)
        {
            return null;
        }

        int? line = null;
        const string marker = "line ";
        int at = error.Message.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            int end = error.Message.IndexOf(':', at);
            if (end > at && int.TryParse(error.Message.AsSpan(at + marker.Length, end - at - marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                line = n;
            }
        }

        return new BatchErrors("list", [new BatchErrorItem(error.Code, error.Message, null, line)]);
    }
}
