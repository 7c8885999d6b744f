using System.Diagnostics.Metrics;

namespace CyLlm.Jobs;

/// <summary>The <c>CyLlm.Jobs</c> meter and its instruments (process-wide, exported by the gateway's metrics endpoint).</summary>
public static class JobsMetrics
{
    public const string MeterName = "CyLlm.Jobs";

    public const string ViolationsCounterName = "cyllm_task_state_violations_total";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Task-state inconsistencies found on reads, history checks and periodic scans; tags: <c>rule</c>, <c>kind</c>.
    /// Must stay 0: anything else means a row was written around the state machine (or a bug in it).
    /// </summary>
    public static readonly Counter<long> TaskStateViolations = Meter.CreateCounter<long>(
        ViolationsCounterName, unit: "{violation}", description: "Task records or histories that break a state-machine invariant");
}
