namespace CyLlm.Jobs.Tests;

/// <summary>
/// An independent restatement of the documented state diagrams (docs/tasks.md), written without TaskStateMachine, that
/// the tests compare the real machine against.
/// </summary>
internal static class ReferenceModel
{
    private static readonly HashSet<string> Allowed = Build();

    public static bool CanMove(TaskKind kind, TaskStage from, TaskStage to) => Allowed.Contains($"{kind}:{from}>{to}");

    public static bool IsFailure(TaskStage s) => s is TaskStage.Failed or TaskStage.Expired;

    public static bool IsRunning(TaskStage s) => s is TaskStage.Running or TaskStage.InProgress or TaskStage.Finalizing or TaskStage.Cancelling;

    public static bool IsTerminal(TaskStage s) => s is TaskStage.Succeeded or TaskStage.Completed or TaskStage.Failed or TaskStage.Expired or TaskStage.Cancelled;

    private static HashSet<string> Build()
    {
        var allowed = new HashSet<string>
        {
            "FineTuning:ValidatingFiles>Queued", "FineTuning:ValidatingFiles>Failed", "FineTuning:ValidatingFiles>Cancelled",
            "FineTuning:Queued>Running", "FineTuning:Queued>Failed", "FineTuning:Queued>Cancelled",
            "FineTuning:Running>Succeeded", "FineTuning:Running>Failed", "FineTuning:Running>Cancelled",
            "Batch:Validating>InProgress", "Batch:Validating>Failed", "Batch:Validating>Cancelling",
            "Batch:InProgress>Finalizing", "Batch:InProgress>Failed", "Batch:InProgress>Expired", "Batch:InProgress>Cancelling",
            "Batch:Finalizing>Completed", "Batch:Finalizing>Failed", "Batch:Finalizing>Expired",
            "Batch:Cancelling>Cancelled", "Batch:Cancelling>Failed",
        };
        foreach (var kind in new[] { TaskKind.Transfer, TaskKind.Export, TaskKind.ModelPull })
        {
            foreach (string m in new[] { "Queued>Running", "Queued>Failed", "Queued>Cancelled", "Running>Succeeded", "Running>Failed", "Running>Cancelled" })
            {
                allowed.Add($"{kind}:{m}");
            }
        }

        return allowed;
    }
}
