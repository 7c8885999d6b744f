using CyLlm.Jobs.Diagnostics;
using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>Runs a scenario and, if it fails, writes a JSON evidence file under artifacts/evidence before rethrowing.</summary>
internal static class Evidence
{
    public static async Task GuardAsync(string scenario, Func<IJobStore?> store, Func<TaskId?> focus, Func<Task> body, Func<IReadOnlyDictionary<string, string>>? extra = null)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            string path = await FailureEvidence.WriteAsync(RepoPaths.EvidenceDirectory, scenario, e, store(), focus(), extra?.Invoke());
            throw new Xunit.Sdk.XunitException($"{e.Message}\n(evidence: {path})\n{e}");
        }
    }
}
