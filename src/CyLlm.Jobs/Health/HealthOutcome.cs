namespace CyLlm.Jobs.Health;

public enum HealthOutcome
{
    Passed,
    Failed,

    /// <summary>Not run: an earlier check failed and fail-fast stopped the run.</summary>
    Skipped,
}
