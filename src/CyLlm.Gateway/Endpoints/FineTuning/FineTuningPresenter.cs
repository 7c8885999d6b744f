using System.Text.Json;
using CyLlm.Jobs;
using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>Turns stored tasks, events and checkpoints into OpenAI's fine-tuning objects.</summary>
public static class FineTuningPresenter
{
    private const string MetricsPrefix = "metrics ";
    private const string CheckpointPrefix = "checkpoint ";

    public static FineTuningJobObject Job(TaskRecord task)
    {
        var spec = FineTuneJson.Deserialize<FineTuneJobSpec>(task.Input!);
        var state = FineTuneWorker.ReadState(task);
        return new FineTuningJobObject(
            "fine_tuning.job",
            task.Id.Value,
            spec.Model,
            task.CreatedAt.ToUnixTimeSeconds(),
            task.FinishedAt?.ToUnixTimeSeconds(),
            state.FineTunedModel,
            task.TenantId,
            [],
            TaskApiNames.OpenAiStatus(task),
            spec.ValidationFileId,
            spec.TrainingFileId,
            new FineTuningHyperparametersOut(
                (object?)spec.NEpochs ?? "auto",
                (object?)spec.BatchSize ?? "auto",
                (object?)spec.LearningRateMultiplier ?? "auto"),
            task.Status == Jobs.TaskStatus.Succeeded ? state.TrainedTokens : null,
            task.Error is { } e ? new FineTuningJobError(e.Code, e.Message, null) : null,
            spec.Seed,
            task.IsTerminal ? null : state.EstimatedFinish,
            [],
            spec.Metadata,
            spec.Suffix,
            new FineTuningMethodOut("supervised", spec.Method, spec.IsLora ? spec.LoraRank : null, spec.IsLora ? spec.LoraAlpha : null,
                spec.IsLora ? spec.LoraDropout : null, spec.IsLora ? [.. spec.LoraTargets] : null),
            spec.Priority);
    }

    /// <summary>One history row as an event: stage moves and messages as "message", progress reports as "metrics".</summary>
    public static FineTuningEventObject Event(TaskEvent e)
    {
        string id = $"ftevent-{e.Sequence}";
        long at = e.At.ToUnixTimeSeconds();
        string? msg = e.Message;
        if (msg is not null && msg.StartsWith(MetricsPrefix, StringComparison.Ordinal))
        {
            var data = TryParse(msg[MetricsPrefix.Length..]);
            string text = data is JsonElement d && d.TryGetProperty("step", out var s) && d.TryGetProperty("total_steps", out var t)
                ? $"Step {s}/{t}: training loss={(d.TryGetProperty("train_loss", out var l) ? l.GetDouble().ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "?")}"
                : "metrics";
            return new FineTuningEventObject("fine_tuning.job.event", id, at, "info", text, data, "metrics");
        }

        if (msg is not null && msg.StartsWith(CheckpointPrefix, StringComparison.Ordinal))
        {
            var data = TryParse(msg[CheckpointPrefix.Length..]);
            string step = data is JsonElement d && d.TryGetProperty("step", out var s) ? s.ToString() : "?";
            return new FineTuningEventObject("fine_tuning.job.event", id, at, "info", $"Checkpoint created at step {step}", data, "message");
        }

        string level = e.Status == Jobs.TaskStatus.Failed ? "error" : "info";
        string message = e.FromStage is null
            ? "Created fine-tuning job"
            : e.FromStage != e.ToStage
                ? $"Job moved to {TaskApiNames.Stage(e.ToStage)}" + (msg is null ? string.Empty : $": {msg}")
                : msg ?? "update";
        return new FineTuningEventObject("fine_tuning.job.event", id, at, level, message, null, "message");
    }

    /// <summary>Train/validation loss per checkpoint step, read from the job's checkpoint events.</summary>
    public static Dictionary<long, Dictionary<string, double>> CheckpointMetrics(IEnumerable<TaskEvent> history)
    {
        var byStep = new Dictionary<long, Dictionary<string, double>>();
        foreach (var e in history)
        {
            if (e.Message is { } m && m.StartsWith(CheckpointPrefix, StringComparison.Ordinal) && TryParse(m[CheckpointPrefix.Length..]) is JsonElement d
                && d.TryGetProperty("step", out var s) && s.TryGetInt64(out long step))
            {
                var metrics = new Dictionary<string, double> { ["step"] = step };
                if (d.TryGetProperty("train_loss", out var tl) && tl.ValueKind == JsonValueKind.Number)
                {
                    metrics["train_loss"] = tl.GetDouble();
                }

                if (d.TryGetProperty("valid_loss", out var vl) && vl.ValueKind == JsonValueKind.Number)
                {
                    metrics["valid_loss"] = vl.GetDouble();
                }

                byStep[step] = metrics;
            }
        }

        return byStep;
    }

    private static JsonElement? TryParse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
