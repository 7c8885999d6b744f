using CyLlm.Jobs.Batches;

namespace CyLlm.Jobs.Tests.Conformance;

/// <summary>
/// A batch executor the test drives: every call waits until the test completes its line (<see cref="Complete"/>), so
/// the test decides the completion order. It counts the calls in flight (and the most ever at once) and signals each
/// arrival, so a test waits for "N lines in flight" without sleeping.
/// </summary>
internal sealed class GatedBatchExecutor : IBatchLineExecutor, IDisposable
{
    /// <summary>Safety net against a hung runner (a failing test must not hang, even shrinking a property); never reached by a passing test.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly Lock gate = new();
    private readonly SortedDictionary<int, TaskCompletionSource<BatchLineResponse>> waiting = [];
    private readonly List<int> started = [];
    private readonly SemaphoreSlim arrived = new(0);
    private int inFlight;
    private int maxInFlight;

    /// <summary>Line indices the executor was called with, in call order.</summary>
    public IReadOnlyList<int> Started
    {
        get
        {
            lock (gate)
            {
                return [.. started];
            }
        }
    }

    /// <summary>Lines called and not yet completed by the test, ascending.</summary>
    public int[] Waiting
    {
        get
        {
            lock (gate)
            {
                return [.. waiting.Keys];
            }
        }
    }

    /// <summary>Most calls ever inside <see cref="ExecuteAsync"/> at once.</summary>
    public int MaxInFlight
    {
        get
        {
            lock (gate)
            {
                return maxInFlight;
            }
        }
    }

    public async Task<BatchLineResponse> ExecuteAsync(BatchRequestLine line, CancellationToken ct)
    {
        // Continuations run asynchronously so Complete never runs the runner's recording on the test's thread.
        var tcs = new TaskCompletionSource<BatchLineResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            waiting.Add(line.Index, tcs);
            started.Add(line.Index);
            maxInFlight = Math.Max(maxInFlight, ++inFlight);
        }

        arrived.Release();
        try
        {
            return await tcs.Task.WaitAsync(ct);
        }
        finally
        {
            lock (gate)
            {
                waiting.Remove(line.Index);
                inFlight--;
            }
        }
    }

    /// <summary>Answers line <paramref name="index"/> (default: 200 with <c>{"line":index}</c>).</summary>
    public void Complete(int index, BatchLineResponse? response = null)
    {
        TaskCompletionSource<BatchLineResponse>? tcs;
        lock (gate)
        {
            if (!waiting.Remove(index, out tcs))
            {
                throw new InvalidOperationException($"line {index} is not waiting (waiting: {string.Join(",", waiting.Keys)})");
            }
        }

        tcs.SetResult(response ?? new BatchLineResponse(200, $"{{\"line\":{index}}}"));
    }

    /// <summary>Waits until exactly <paramref name="count"/> lines wait for the test (more is a failure).</summary>
    public async Task WaitForWaitingAsync(int count)
    {
        while (true)
        {
            lock (gate)
            {
                if (waiting.Count > count)
                {
                    throw new InvalidOperationException($"{waiting.Count} lines in flight, expected {count}: {string.Join(",", waiting.Keys)}");
                }

                if (waiting.Count == count)
                {
                    return;
                }
            }

            if (!await arrived.WaitAsync(Patience))
            {
                throw new TimeoutException($"the runner never had {count} lines in flight (waiting: {string.Join(",", Waiting)})");
            }
        }
    }

    /// <summary>Fails the lines still waiting (only after a failed assertion), so the runner under test ends instead of leaking.</summary>
    public void Dispose()
    {
        TaskCompletionSource<BatchLineResponse>[] left;
        lock (gate)
        {
            left = [.. waiting.Values];
            waiting.Clear();
        }

        foreach (var tcs in left)
        {
            tcs.TrySetException(new InvalidOperationException("the test ended with this line in flight"));
        }

        arrived.Dispose();
    }
}
