using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

public sealed partial class ServingEngine
{
    private readonly HashSet<int> _batchAdapters = [];

    private void Loop()
    {
        while (!_stopping)
        {
            while (_incoming.TryDequeue(out var s))
            {
                _scheduler.Waiting.Add(s);
            }

            RunLoopCommands(); // disaggregation: block reservations and releases (ServingEngine.Disaggregation.cs)
            DropCancelled();
            if (_scheduler.Waiting.Count == 0 && _scheduler.Running.Count == 0)
            {
                _output.Publish(); // what DropCancelled just ended
                PublishGauges();
                _signal.Wait(100);
                continue;
            }

            try
            {
                long t0 = Stopwatch.GetTimestamp();
                if (Step())
                {
                    // The loop's own work — scheduling, KV bookkeeping, phase 1 of acceptance, handing events to the
                    // output processor — as a share of the step; the model runner's forward pass and sampling are the rest.
                    long total = Stopwatch.GetTimestamp() - t0;
                    Metrics.SchedulerOverhead.Add(total > 0 ? (double)(total - _runner.LastTicks) / total : 0);
                }
            }
            catch (Exception ex)
            {
                // A failure in one step fails the requests of that step, never the loop.
                foreach (var (seq, _) in _scheduler.Batch)
                {
                    Fail(seq, ex);
                }

                _scheduler.Batch.Clear();
            }

            _output.Publish();
            PublishGauges();
        }
    }

    private void PublishGauges()
    {
        Volatile.Write(ref _usedBlocks, _pool.Used);
        Volatile.Write(ref _runningCount, _scheduler.Running.Count);
        Volatile.Write(ref _prefixQueries, _pool.PrefixQueries);
        Volatile.Write(ref _prefixHits, _pool.PrefixHits);
    }

    private void DropCancelled()
    {
        for (int i = _scheduler.Running.Count - 1; i >= 0; i--)
        {
            var s = _scheduler.Running[i];
            if (s.StopRequested)
            {
                Finish(s, FinishReason.Stop); // a stop string, already answered by the output processor
            }
            else if (s.Cancel.IsCancellationRequested)
            {
                Finish(s, FinishReason.Cancelled);
            }
        }

        for (int i = _scheduler.Waiting.Count - 1; i >= 0; i--)
        {
            var s = _scheduler.Waiting[i];
            if (s.Cancel.IsCancellationRequested || s.StopRequested)
            {
                _scheduler.Waiting.RemoveAt(i);
                LeaveWaiting(s);
                ReleaseBlocks(s);
                ReleaseAdapter(s);
                EndForkChildren(s, FinishReason.Cancelled, null);
                _output.Finish(s, FinishReason.Cancelled);
            }
        }
    }

    /// <summary>Plans and runs one step; false when nothing could run.</summary>
    private bool Step()
    {
        _batchAdapters.Clear();
        _scheduler.Plan();
        if (_scheduler.Batch.Count == 0)
        {
            // Nothing fits now: the waiting head needs blocks that running sequences hold.
            Thread.Yield();
            return false;
        }

        return RunBatch();
    }

    bool ISchedulerHooks<SequenceState>.CanJoin(SequenceState s) =>
        s.Adapter is null || _batchAdapters.Contains(s.Adapter.Id) || _batchAdapters.Count < _options.MaxLoras;

    void ISchedulerHooks<SequenceState>.Joined(SequenceState s)
    {
        if (s.Adapter is not null)
        {
            _batchAdapters.Add(s.Adapter.Id);
        }
    }

    void ISchedulerHooks<SequenceState>.AttachCachedPrefix(SequenceState s) => AttachCachedPrefix(s);

    void ISchedulerHooks<SequenceState>.Deferred(SequenceState s)
    {
        s.BlockHashes.Clear();
        s.CachedTokens = 0;
    }

    void ISchedulerHooks<SequenceState>.Admitted(SequenceState s)
    {
        LeaveWaiting(s);
        s.ScheduledTicks = Stopwatch.GetTimestamp();
        s.Scheduled.TrySetResult(); // a preempted sequence coming back was already started: no-op
        double queued = Stopwatch.GetElapsedTime(s.EnqueuedTicks).TotalSeconds;
        Metrics.QueueTime.Record(queued);
        if (s.Preemptions == 0)
        {
            Metrics.QueueTimeWindow.Add(queued);
        }
    }

    void ISchedulerHooks<SequenceState>.Preempted(SequenceState s)
    {
        s.BlockHashes.Clear();
        s.Preemptions++;
        Interlocked.Increment(ref _preemptions);
        Metrics.Preemptions.Add(1);
        Interlocked.Increment(ref _waitingCount);
        Interlocked.Add(ref _waitingTokens, s.PromptLength);
    }

    private void LeaveWaiting(SequenceState s)
    {
        Interlocked.Decrement(ref _waitingCount);
        Interlocked.Add(ref _waitingTokens, -s.PromptLength);
    }

    /// <summary>Attaches every cached full block of the prompt (leaving at least one token to compute).</summary>
    private void AttachCachedPrefix(SequenceState s)
    {
        var (queries, hits) = _kv.AttachCachedPrefix(s);
        if (queries > 0)
        {
            Metrics.PrefixQueries.Add(queries);
            Metrics.PrefixHits.Add(hits);
        }
    }

    private void ReleaseBlocks(SequenceState s)
    {
        _scheduler.ReleaseBlocks(s);
        s.BlockHashes.Clear();
    }

    private bool RunBatch()
    {
        // A real check, not a Debug.Assert: the attention scratch is sized for the context and the KV writes follow
        // the block table, both in native memory. A sequence that would step past either fails alone, here.
        for (int i = _scheduler.Batch.Count - 1; i >= 0; i--)
        {
            var (s, n) = _scheduler.Batch[i];
            long last = (long)s.Computed + n - 1;
            if (last >= _engine.ContextTokens || last / _options.BlockTokens >= s.Blocks.Count)
            {
                _scheduler.Batch.RemoveAt(i);
                Fail(s, new InvalidOperationException(
                    $"sequence {s.Id} would write KV position {last} with a context of {_engine.ContextTokens} and {s.Blocks.Count} blocks of {_options.BlockTokens}"));
            }
        }

        if (_scheduler.Batch.Count == 0)
        {
            return false;
        }

        var samples = _runner.Execute(_scheduler.Batch, _kv.Storage, OnLogits);
        foreach (var (s, n) in _scheduler.Batch)
        {
            s.Computed += n;
            _kv.PublishFullBlocks(s);
        }

        var sampled = _runner.Sampled;
        long now = Stopwatch.GetTimestamp();
        // Forks first: a parent that ends on its first token releases its blocks in Accept.
        foreach (var (parent, child, sample) in _runner.ForkSamples)
        {
            Fork(parent, child, sample, now);
        }

        for (int r = 0; r < sampled.Count; r++)
        {
            Accept(sampled[r], samples[r], now);
        }

        return true;
    }

    /// <summary>Phase 1 of the acceptance rule on the loop thread; the text side goes to the output processor.</summary>
    private void Accept(SequenceState s, SampleResult sample, long now)
    {
        if (s.PrefillOnly)
        {
            CompletePrefillOnly(s); // disaggregated prefill: keep the KV, sample nothing
            return;
        }

        if (s.StopRequested)
        {
            return; // answered by a stop string one step ago; dropped before the next step
        }

        var verdict = s.Acceptor.AcceptId(sample.TokenId, out bool accepted);
        if (accepted)
        {
            s.Tokens.Add(sample.TokenId);
            _output.Token(s, sample, now);
        }

        if (verdict is { } reason)
        {
            Finish(s, reason);
        }
    }

    /// <summary>
    /// Starts choice <paramref name="child"/> of an n &gt; 1 request from <paramref name="parent"/>'s computed prompt: the
    /// prompt's full blocks are shared (one more reference each, their prefix hashes copied so they are not published
    /// twice), the tokens of the partial last block are left to compute (fewer than a block), and the first token it
    /// sampled goes through phase 1 like any other. It then waits for a running slot with its KV in place.
    /// </summary>
    private void Fork(SequenceState parent, SequenceState child, SampleResult sample, long now)
    {
        parent.ForkChildren = null;
        if (child.Cancel.IsCancellationRequested)
        {
            ReleaseAdapter(child);
            _output.Finish(child, FinishReason.Cancelled);
            return;
        }

        int bt = _options.BlockTokens;
        int full = parent.PromptLength / bt;
        for (int b = 0; b < full; b++)
        {
            _pool.Share(parent.Blocks[b]);
            child.Blocks.Add(parent.Blocks[b]);
            if (b < parent.BlockHashes.Count)
            {
                child.BlockHashes.Add(parent.BlockHashes[b]);
            }
        }

        child.Computed = full * bt;
        child.ScheduledTicks = parent.ScheduledTicks;
        child.Scheduled.TrySetResult();
        var verdict = child.Acceptor.AcceptId(sample.TokenId, out bool accepted);
        if (accepted)
        {
            child.Tokens.Add(sample.TokenId);
            _output.Token(child, sample, now);
        }

        if (verdict is { } reason)
        {
            ReleaseBlocks(child);
            ReleaseAdapter(child);
            _output.Finish(child, reason);
            return;
        }

        Interlocked.Increment(ref _waitingCount);
        Interlocked.Add(ref _waitingTokens, child.PromptLength);
        _scheduler.Waiting.Add(child);
    }

    /// <summary>Ends the not-yet-forked choices of a request that ended before its first token.</summary>
    private void EndForkChildren(SequenceState s, FinishReason reason, Exception? error)
    {
        if (s.ForkChildren is not { } kids)
        {
            return;
        }

        s.ForkChildren = null;
        foreach (var kid in kids)
        {
            ReleaseAdapter(kid);
            if (error is null)
            {
                _output.Finish(kid, reason);
            }
            else
            {
                _output.Fail(kid, error);
            }
        }
    }

    private void Finish(SequenceState s, FinishReason reason)
    {
        EndForkChildren(s, reason, null);
        _scheduler.Running.Remove(s);
        s.Running = false;
        ReleaseBlocks(s);
        ReleaseAdapter(s);
        _output.Finish(s, reason);
    }

    private void Fail(SequenceState s, Exception ex)
    {
        EndForkChildren(s, FinishReason.Cancelled, ex);
        _scheduler.Running.Remove(s);
        _scheduler.Waiting.Remove(s);
        ReleaseBlocks(s);
        ReleaseAdapter(s);
        _output.Fail(s, ex);
    }
}
