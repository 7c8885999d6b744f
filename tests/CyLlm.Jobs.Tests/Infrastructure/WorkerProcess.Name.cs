namespace CyLlm.Tests.Shared;

internal sealed partial class WorkerProcess
{
    private static partial string WorkerFileName => "CyLlm.Jobs.ChaosWorker.dll";
}
