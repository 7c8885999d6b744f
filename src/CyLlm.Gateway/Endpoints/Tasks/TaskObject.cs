using CyLlm.Jobs;

namespace CyLlm.Gateway.Endpoints.Tasks;

/// <summary>
/// The Tasks API view of any task (fine-tuning job, batch, transfer, export, model pull). Everything is read from one stored
/// <see cref="TaskRecord"/>, which the store validated with the consistency checker on read, so the fields agree by
/// construction: <see cref="IsCompleted"/> is true exactly for a terminal <see cref="Status"/>, <see cref="Progress"/> is
/// 100 when succeeded, <see cref="Error"/> is set exactly when failed. Times are Unix seconds.
/// </summary>
/// <param name="Kind">fine_tuning, batch, transfer, export or model_pull.</param>
/// <param name="Status">queued, running, succeeded, failed or cancelled.</param>
/// <param name="Stage">The kind's own stage word (the status its OpenAI API shows, e.g. in_progress for a batch).</param>
/// <param name="Progress">Percent done, 0–100.</param>
public sealed record TaskObject(
    string Id,
    string Object,
    string Kind,
    string Status,
    string Stage,
    int Progress,
    bool IsCompleted,
    long CreatedAt,
    long UpdatedAt,
    long? StartedAt,
    long? FinishedAt,
    TaskErrorObject? Error)
{
    public static TaskObject From(TaskRecord t) => new(
        t.Id.Value, "task", KindName(t.Kind), TaskApiNames.Status(t.Status), TaskApiNames.Stage(t.Stage), t.Progress, t.IsTerminal,
        t.CreatedAt.ToUnixTimeSeconds(), t.UpdatedAt.ToUnixTimeSeconds(), t.StartedAt?.ToUnixTimeSeconds(), t.FinishedAt?.ToUnixTimeSeconds(),
        t.Error is { } e ? new TaskErrorObject(e.Code, e.Message) : null);

    public static string KindName(TaskKind kind) => kind switch
    {
        TaskKind.FineTuning => "fine_tuning",
        TaskKind.Batch => "batch",
        TaskKind.Transfer => "transfer",
        TaskKind.Export => "export",
        TaskKind.ModelPull => "model_pull",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task kind"),
    };
}
