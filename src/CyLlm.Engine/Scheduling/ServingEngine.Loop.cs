using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

public sealed partial class ServingEngine
{
    // Per-step scratch, reused: the loop allocates only what requests themselves produce.
    private readonly List<int> _stepTokens = [];
    private readonly List<int> _stepPositions = [];
    private readonly List<int> _stepSlots = [];
    private readonly List<int> _logitRows = [];
    private readonly List<SequenceState> _logitSeqs = [];
    private readonly List<Lora.LoraAdapter?> _stepAdapters = [];
    private readonly HashSet<int> _batchAdapters = [];
    private readonly SamplingJob _sampling = new();
    private List<BlockId>[] _tables = [];   // block tables of the batch's sequences, by slot (reused)
    private long _forwardTicks;

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
                PublishGauges();
                _signal.Wait(100);
                continue;
            }

            try
            {
                long t0 = Stopwatch.GetTimestamp();
                _forwardTicks = 0;
                Step();
                long total = Stopwatch.GetTimestamp() - t0;
                if (_forwardTicks > 0 && total > 0)
                {
                    Metrics.SchedulerOverhead.Add((double)(total - _forwardTicks) / total);
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
            if (_scheduler.Running[i].Cancel.IsCancellationRequested)
            {
                Finish(_scheduler.Running[i], FinishReason.Cancelled);
            }
        }

        for (int i = _scheduler.Waiting.Count - 1; i >= 0; i--)
        {
            var s = _scheduler.Waiting[i];
            if (s.Cancel.IsCancellationRequested)
            {
                _scheduler.Waiting.RemoveAt(i);
                LeaveWaiting(s);
                ReleaseBlocks(s);
                Complete(s, FinishReason.Cancelled);
            }
        }
    }

    private void Step()
    {
        _batchAdapters.Clear();
        _scheduler.Plan();
        if (_scheduler.Batch.Count == 0)
        {
            // Nothing fits now: the waiting head needs blocks that running sequences hold.
            Thread.Yield();
            return;
        }

        RunBatch();
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
        if (!_options.PrefixCaching)
        {
            return;
        }

        int bt = _options.BlockTokens;
        int full = (s.PromptLength - 1) / bt;
        long parent = 0;
        var tokens = s.Tokens;
        Span<int> block = stackalloc int[bt];
        for (int b = 0; b < full; b++)
        {
            for (int i = 0; i < bt; i++)
            {
                block[i] = tokens[(b * bt) + i];
            }

            long h = PrefixHash.Block(parent, block, s.Adapter?.Id ?? 0, s.Request.CacheSalt);
            Metrics.PrefixQueries.Add(1);
            var hit = _pool.Lookup(h);
            if (hit is null)
            {
                break;
            }

            Metrics.PrefixHits.Add(1);
            s.Blocks.Add(hit.Value);
            s.BlockHashes.Add(h);
            s.Computed += bt;
            parent = h;
        }

        s.CachedTokens = s.Computed;
    }

    private void ReleaseBlocks(SequenceState s)
    {
        _scheduler.ReleaseBlocks(s);
        s.BlockHashes.Clear();
    }

    private void RunBatch()
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
            return;
        }

        _stepTokens.Clear();
        _stepPositions.Clear();
        _stepSlots.Clear();
        _stepAdapters.Clear();
        _logitRows.Clear();
        _logitSeqs.Clear();
        if (_tables.Length < _scheduler.Batch.Count)
        {
            _tables = new List<BlockId>[Math.Max(_scheduler.Batch.Count, _options.MaxRunning)];
        }

        var tables = _tables;
        for (int slot = 0; slot < _scheduler.Batch.Count; slot++)
        {
            var (s, n) = _scheduler.Batch[slot];
            tables[slot] = s.Blocks;
            for (int i = 0; i < n; i++)
            {
                _stepTokens.Add(s.Tokens[s.Computed + i]);
                _stepPositions.Add(s.Computed + i);
                _stepSlots.Add(slot);
                _stepAdapters.Add(s.Adapter?.Adapter);
            }

            if (s.Computed + n == s.Tokens.Count)
            {
                _logitRows.Add(_stepTokens.Count - 1);
                _logitSeqs.Add(s);
            }
        }

        _storage.Tables = tables;
        long f0 = Stopwatch.GetTimestamp();
        var logits = _forward.Forward(
            _storage,
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_stepTokens),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_stepPositions),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_stepSlots),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_logitRows),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_stepAdapters));
        _forwardTicks = Stopwatch.GetTimestamp() - f0;
        foreach (var (s, n) in _scheduler.Batch)
        {
            s.Computed += n;
            PublishFullBlocks(s);
        }

        int vocab = _engine.Config.VocabSize;
        if (OnLogits is { } tap)
        {
            for (int r = 0; r < _logitSeqs.Count; r++)
            {
                tap(_logitSeqs[r].Request, _logitSeqs[r].Generated, logits.Slice(r * vocab, vocab));
            }
        }

        // The logits are the forward pass's scratch, rewritten by the next call: the samplers apply their
        // biases and penalties in place instead of copying each row first, one row per pool part.
        unsafe
        {
            fixed (float* rows = logits)
            {
                _sampling.Logits = rows;
                _sampling.Vocab = vocab;
                _sampling.Sequences = _logitSeqs;
                _sampling.Run(_engine.Pool);
            }
        }

        var samples = _sampling.Results;
        for (int r = 0; r < _logitSeqs.Count; r++)
        {
            Accept(_logitSeqs[r], samples[r]);
        }
    }

    /// <summary>Registers newly completed full blocks in the prefix cache.</summary>
    private void PublishFullBlocks(SequenceState s)
    {
        if (!_options.PrefixCaching)
        {
            return;
        }

        int bt = _options.BlockTokens;
        int full = s.Computed / bt;
        Span<int> block = stackalloc int[bt];
        while (s.BlockHashes.Count < full)
        {
            int b = s.BlockHashes.Count;
            for (int i = 0; i < bt; i++)
            {
                block[i] = s.Tokens[(b * bt) + i];
            }

            long parent = b == 0 ? 0 : s.BlockHashes[b - 1];
            long h = PrefixHash.Block(parent, block, s.Adapter?.Id ?? 0, s.Request.CacheSalt);
            s.BlockHashes.Add(h);
            _pool.Publish(s.Blocks[b], h);
        }
    }

    private void Accept(SequenceState s, SampleResult sample)
    {
        if (s.PrefillOnly)
        {
            CompletePrefillOnly(s); // disaggregated prefill: keep the KV, sample nothing
            return;
        }

        long now = Stopwatch.GetTimestamp();
        if (s.Generated == 0 && s.FirstTokenTicks == 0)
        {
            s.FirstTokenTicks = now;
            double ttft = Stopwatch.GetElapsedTime(s.EnqueuedTicks, now).TotalSeconds;
            Metrics.Ttft.Record(ttft);
            Metrics.TtftWindow.Add(ttft);
            Metrics.PromptTokens.Add(s.PromptLength);
        }
        else if (s.LastTokenTicks != 0)
        {
            double itl = Stopwatch.GetElapsedTime(s.LastTokenTicks, now).TotalSeconds;
            Metrics.InterToken.Record(itl);
            Metrics.InterTokenWindow.Add(itl);
        }

        s.LastTokenTicks = now;
        var verdict = s.Acceptor.Accept(sample, out var emitted);
        if (emitted is { } token)
        {
            s.Tokens.Add(sample.TokenId);
            s.Samples.Add(sample);
            Metrics.GenerationTokens.Add(1);
            s.Output.Writer.TryWrite(token);
        }

        if (verdict is { } reason)
        {
            Finish(s, reason);
        }
    }

    private void Finish(SequenceState s, FinishReason reason)
    {
        _scheduler.Running.Remove(s);
        s.Running = false;
        ReleaseBlocks(s);
        if (s.Acceptor.Flush(reason) is { } tail)
        {
            s.Output.Writer.TryWrite(tail);
        }

        Complete(s, reason);
    }

    private void Complete(SequenceState s, FinishReason reason)
    {
        double e2e = Stopwatch.GetElapsedTime(s.EnqueuedTicks).TotalSeconds;
        Metrics.EndToEnd.Record(e2e);
        Metrics.EndToEndWindow.Add(e2e);
        double promptMs = s.FirstTokenTicks == 0 ? 0 : Stopwatch.GetElapsedTime(s.ScheduledTicks, s.FirstTokenTicks).TotalMilliseconds;
        double genMs = s.FirstTokenTicks == 0 ? 0 : Stopwatch.GetElapsedTime(s.FirstTokenTicks).TotalMilliseconds;
        double ttftMs = s.FirstTokenTicks == 0 ? 0 : Stopwatch.GetElapsedTime(s.EnqueuedTicks, s.FirstTokenTicks).TotalMilliseconds;
        var result = new GenerationResult(
            s.Tokens.Take(s.PromptLength).ToArray(), s.Tokens.Skip(s.PromptLength).ToArray(), s.Acceptor.Text.ToString(), reason, s.Samples, promptMs, genMs, ttftMs)
        {
            CachedTokens = s.CachedTokens,
        };
        ReleaseAdapter(s);
        s.Output.Writer.TryComplete();
        s.Completion.TrySetResult(result);
    }

    private void Fail(SequenceState s, Exception ex)
    {
        _scheduler.Running.Remove(s);
        _scheduler.Waiting.Remove(s);
        ReleaseBlocks(s);
        ReleaseAdapter(s);
        s.Output.Writer.TryComplete(ex);
        s.Completion.TrySetException(ex);
    }
}
