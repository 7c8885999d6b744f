using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Keeps a background service alive through its failures. An exception escaping a BackgroundService's ExecuteAsync
/// stops the whole host (the default BackgroundServiceExceptionBehavior), so one busy store at start-up, one
/// read-only folder or one unreadable input file would take every client's server down. Here a failing run is
/// logged and run again after a <see cref="RetryBackoff"/> wait; only the host's stop ends the loop.
/// </summary>
public static class BackgroundLoop
{
    /// <summary>Longest wait between two tries.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Runs <paramref name="run"/> until it returns or <paramref name="stoppingToken"/> is cancelled, running it again
    /// after each failure. A run that lasted at least <see cref="MaxDelay"/> before failing counts as a fresh start
    /// (the backoff starts over), so a rare failure of a long-running loop does not inherit old delays.
    /// </summary>
    public static async Task RunAsync(string service, Func<CancellationToken, Task> run, RetryBackoff backoff, TimeProvider time, ILogger log, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(backoff);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        while (!stoppingToken.IsCancellationRequested)
        {
            long started = time.GetTimestamp();
            try
            {
                await run(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (time.GetElapsedTime(started) >= MaxDelay)
                {
                    backoff.Reset();
                }

                log.LogError(e, "{Service} failed ({Type}: {Message}); retrying in {Delay} s (failure {Failures} in a row)",
                    service, e.GetType().Name, e.Message, backoff.Next.TotalSeconds, backoff.Failures + 1);
            }

            try
            {
                await backoff.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
