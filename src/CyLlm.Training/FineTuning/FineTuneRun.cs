namespace CyLlm.Training.FineTuning;

/// <summary>Everything an executor needs to run (or resume) one job.</summary>
/// <param name="JobId">The task id text (<c>ftjob-...</c>).</param>
/// <param name="WorkDirectory">The job's own folder: checkpoints, logs and the exported result live here.</param>
/// <param name="ResumeFrom">The newest checkpoint recorded in the store for this job, or null for a fresh start;
/// the executor still verifies it and falls back to an older valid one.</param>
public sealed record FineTuneRun(string JobId, FineTuneJobSpec Spec, string WorkDirectory, FineTuneCheckpoint? ResumeFrom);
