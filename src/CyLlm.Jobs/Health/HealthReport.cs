using System.Globalization;
using System.Text;

namespace CyLlm.Jobs.Health;

/// <summary>All checks of one run, in order, and the total time.</summary>
public sealed record HealthReport(IReadOnlyList<HealthCheckResult> Checks, TimeSpan Elapsed)
{
    public bool Healthy => Failed == 0;

    public int Passed => Count(HealthOutcome.Passed);

    public int Failed => Count(HealthOutcome.Failed);

    public int Skipped => Count(HealthOutcome.Skipped);

    /// <summary>A printable summary: one line per check, then "N passed, N failed[, N skipped] in X ms".</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        foreach (var c in Checks)
        {
            string mark = c.Outcome switch { HealthOutcome.Passed => "ok  ", HealthOutcome.Failed => "FAIL", _ => "skip" };
            sb.Append(CultureInfo.InvariantCulture, $"{mark} {c.Name,-16} {c.Duration.TotalMilliseconds,7:F1} ms  {c.Message}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{Passed} passed, {Failed} failed");
        if (Skipped > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $", {Skipped} skipped");
        }

        sb.Append(CultureInfo.InvariantCulture, $" in {Elapsed.TotalMilliseconds:F1} ms");
        return sb.ToString();
    }

    private int Count(HealthOutcome o)
    {
        int n = 0;
        foreach (var c in Checks)
        {
            if (c.Outcome == o)
            {
                n++;
            }
        }

        return n;
    }
}
