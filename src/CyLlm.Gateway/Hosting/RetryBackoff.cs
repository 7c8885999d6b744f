namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Exponential backoff between failed iterations of a background loop, on the server's clock: the first wait is
/// <c>initial</c>, each further failure doubles it up to <c>max</c>, and a success starts over. A loop that fails at
/// once on every try (the store down, a folder unreadable) therefore retries quickly at first, then once a minute,
/// instead of spinning or taking the host down.
/// </summary>
public sealed class RetryBackoff
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryBackoff(TimeProvider time, TimeSpan initial, TimeSpan max)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _initial = initial;
        _max = max;
        _next = initial;
    }

    /// <summary>Failures since the last success.</summary>
    public int Failures { get; private set; }

    /// <summary>The wait the next failure will cause.</summary>
    public TimeSpan Next => _next;

    /// <summary>Forgets earlier failures (the iteration succeeded).</summary>
    public void Reset()
    {
        _next = _initial;
        Failures = 0;
    }

    /// <summary>Counts a failure and waits for its delay; throws <see cref="OperationCanceledException"/> when stopped.</summary>
    public Task WaitAsync(CancellationToken ct)
    {
        var delay = _next;
        Failures++;
        _next = delay * 2 > _max ? _max : delay * 2;
        return delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _time, ct);
    }
}
