namespace CyLlm.Tests.Shared;

internal sealed partial class WorkerProcess
{
    private static partial string WorkerFileName => "CyLlm.Disaggregation.Worker.dll";
}
