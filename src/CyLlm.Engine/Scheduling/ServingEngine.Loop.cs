using System.Diagnostics;
using CyLlm.Engine.Generation;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

public sealed partial class ServingEngine
{
    // Per-step scratch, reused: the loop allocates only what requests themselves produce.
    private readonly List<(SequenceState Seq, int Count)> _batch = [];
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

    private static readonly Comparison<SequenceState> ByPriority = (a, b) =>
    {
        int c = a.Priority.CompareTo(b.Priority);
        return c != 0 ? c : a.Arrival.CompareTo(b.Arrival);
    };

    private void Loop()
    {
        while (!_stopping)
        {
            while (_incoming.TryDequeue(out var s))
            {
                _waiting.Add(s);
            }

            RunLoopCommands(); // disaggregation: block reservations and releases (ServingEngine.Disaggregation.cs)
            DropCancelled();
            if (_waiting.Count == 0 && _running.Count == 0)
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
                foreach (var (seq, _) in _batch)
                {
                    Fail(seq, ex);
                }

                _batch.Clear();
            }

            PublishGauges();
        }
    }

    private void PublishGauges()
    {
        Volatile.Write(ref _usedBlocks, _pool.Used);
        Volatile.Write(ref _runningCount, _running.Count);
        Volatile.Write(ref _prefixQueries, _pool.PrefixQueries);
        Volatile.Write(ref _prefixHits, _pool.PrefixHits);
    }

    private void DropCancelled()
    {
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            if (_running[i].Cancel.IsCancellationRequested)
            {
                Finish(_running[i], FinishReason.Cancelled);
            }
        }

        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            var s = _waiting[i];
            if (s.Cancel.IsCancellationRequested)
            {
                _waiting.RemoveAt(i);
                LeaveWaiting(s);
                ReleaseBlocks(s);
                Complete(s, FinishReason.Cancelled);
            }
        }
    }

    private void Step()
    {
        _batch.Clear();
        _batchAdapters.Clear();
        int budget = _options.TokenBudget;
        _running.Sort(ByPriority);
        // Running sequences first: one decode token each, or the next chunk of an unfinished prefill.
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            var s = _running[i];
            if (!s.Running)
            {
                continue; // preempted earlier in this step
            }

            if (!AdapterFits(s))
            {
                continue;
            }

            int n = Math.Min(s.Tokens.Count - s.Computed, budget);
            if (!EnsureBlocks(s, s.Computed + n) && !(PreemptFor(s) && EnsureBlocks(s, s.Computed + n)))
            {
                continue;
            }

            TakeAdapter(s);
            _batch.Add((s, n));
            budget -= n;
        }

        _running.RemoveAll(s => !s.Running);

        // Then waiting requests, best priority first, while budget and slots remain.
        _waiting.Sort(ByPriority);
        while (budget > 0 && _running.Count < _options.MaxRunning && _waiting.Count > 0)
        {
            var s = _waiting[0];
            if (!AdapterFits(s))
            {
                break; // max_loras distinct adapters already in this batch
            }

            if (s.Computed == 0 && s.Blocks.Count == 0)
            {
                AttachCachedPrefix(s);
            }

            int n = Math.Min(s.Tokens.Count - s.Computed, budget);
            if (!EnsureBlocks(s, s.Computed + n) && !(PreemptFor(s) && EnsureBlocks(s, s.Computed + n)))
            {
                break; // not enough memory even after preemption: wait for running work to finish
            }

            _waiting.RemoveAt(0);
            LeaveWaiting(s);
            s.Running = true;
            s.ScheduledTicks = Stopwatch.GetTimestamp();
            s.Scheduled.TrySetResult(); // a preempted sequence coming back was already started: no-op
            double queued = Stopwatch.GetElapsedTime(s.EnqueuedTicks).TotalSeconds;
            Metrics.QueueTime.Record(queued);
            if (s.Preemptions == 0)
            {
                Metrics.QueueTimeWindow.Add(queued);
            }
            _running.Add(s);
            TakeAdapter(s);
            _batch.Add((s, n));
            budget -= n;
        }

        if (_batch.Count == 0)
        {
            // Nothing fits now: the waiting head needs blocks that running sequences hold.
            Thread.Yield();
            return;
        }

        RunBatch();
    }

    private bool AdapterFits(SequenceState s) =>
        s.Adapter is null || _batchAdapters.Contains(s.Adapter.Id) || _batchAdapters.Count < _options.MaxLoras;

    private void TakeAdapter(SequenceState s)
    {
        if (s.Adapter is not null)
        {
            _batchAdapters.Add(s.Adapter.Id);
        }
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

    /// <summary>Makes sure <paramref name="s"/> has blocks for its first <paramref name="tokens"/> positions.</summary>
    private bool EnsureBlocks(SequenceState s, int tokens)
    {
        int need = (tokens + _options.BlockTokens - 1) / _options.BlockTokens;
        while (s.Blocks.Count < need)
        {
            var b = _pool.Allocate();
            if (b is null)
            {
                return false;
            }

            s.Blocks.Add(b.Value);
        }

        return true;
    }

    /// <summary>
    /// Frees blocks for <paramref name="s"/> by preempting running sequences of lower priority (higher value),
    /// latest arrival first. Returns whether anything was preempted.
    /// </summary>
    private bool PreemptFor(SequenceState s)
    {
        bool any = false;
        while (_pool.Free == 0)
        {
            SequenceState? victim = null;
            foreach (var r in _running)
            {
                if (r != s && r.Running && ByPriority(r, s) > 0 && (victim is null || ByPriority(r, victim) > 0))
                {
                    victim = r;
                }
            }

            if (victim is null)
            {
                return any;
            }

            Preempt(victim);
            any = true;
        }

        return any;
    }

    private void Preempt(SequenceState v)
    {
        // Recompute later: drop its KV (full blocks stay in the prefix cache) and requeue it with its
        // generated tokens as part of the prompt to recompute.
        for (int i = _batch.Count - 1; i >= 0; i--)
        {
            if (_batch[i].Seq == v)
            {
                _batch.RemoveAt(i);
            }
        }

        ReleaseBlocks(v);
        v.Computed = 0;
        v.Running = false;
        v.Preemptions++;
        Interlocked.Increment(ref _preemptions);
        Metrics.Preemptions.Add(1);
        _waiting.Add(v);
        Interlocked.Increment(ref _waitingCount);
        Interlocked.Add(ref _waitingTokens, v.PromptLength);
    }

    private void ReleaseBlocks(SequenceState s)
    {
        foreach (var b in s.Blocks)
        {
            _pool.Release(b);
        }

        s.Blocks.Clear();
        s.BlockHashes.Clear();
    }

    private void RunBatch()
    {
        // A real check, not a Debug.Assert: the attention scratch is sized for the context and the KV writes follow
        // the block table, both in native memory. A sequence that would step past either fails alone, here.
        for (int i = _batch.Count - 1; i >= 0; i--)
        {
            var (s, n) = _batch[i];
            long last = (long)s.Computed + n - 1;
            if (last >= _engine.ContextTokens || last / _options.BlockTokens >= s.Blocks.Count)
            {
                _batch.RemoveAt(i);
                Fail(s, new InvalidOperationException(
                    $"sequence {s.Id} would write KV position {last} with a context of {_engine.ContextTokens} and {s.Blocks.Count} blocks of {_options.BlockTokens}"));
            }
        }

        if (_batch.Count == 0)
        {
            return;
        }

        _stepTokens.Clear();
        _stepPositions.Clear();
        _stepSlots.Clear();
        _stepAdapters.Clear();
        _logitRows.Clear();
        _logitSeqs.Clear();
        if (_tables.Length < _batch.Count)
        {
            _tables = new List<BlockId>[Math.Max(_batch.Count, _options.MaxRunning)];
        }

        var tables = _tables;
        for (int slot = 0; slot < _batch.Count; slot++)
        {
            var (s, n) = _batch[slot];
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
        foreach (var (s, n) in _batch)
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

        var sp = s.Request.Sampling;
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
        bool eog = !sp.IgnoreEos && _tokenizer.EndOfGenerationIds.Contains(sample.TokenId);
        bool stopId = false;
        foreach (int id in sp.StopTokenIds)
        {
            stopId |= id == sample.TokenId;
        }

        if (eog || stopId)
        {
            Finish(s, FinishReason.Stop);
            return;
        }

        s.Tokens.Add(sample.TokenId);
        s.Samples.Add(sample);
        Metrics.GenerationTokens.Add(1);
        string delta = s.Stops.Push(s.Decoder.Push(sample.TokenId));
        s.Text.Append(delta);
        s.Output.Writer.TryWrite(new GeneratedToken(sample.TokenId, delta, sample));
        if (s.Stops.Stopped)
        {
            Finish(s, FinishReason.Stop);
        }
        else if (s.Generated >= sp.MaxTokens || s.Tokens.Count >= _engine.ContextTokens)
        {
            Finish(s, FinishReason.Length);
        }
    }

    private void Finish(SequenceState s, FinishReason reason)
    {
        _running.Remove(s);
        s.Running = false;
        ReleaseBlocks(s);
        if (reason != FinishReason.Cancelled && !s.Stops.Stopped)
        {
            string tail = s.Stops.Push(s.Decoder.Flush()) + s.Stops.Flush();
            if (tail.Length > 0)
            {
                s.Text.Append(tail);
                s.Output.Writer.TryWrite(new GeneratedToken(-1, tail, default));
            }
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
            s.Tokens.Take(s.PromptLength).ToArray(), s.Tokens.Skip(s.PromptLength).ToArray(), s.Text.ToString(), reason, s.Samples, promptMs, genMs, ttftMs)
        {
            CachedTokens = s.CachedTokens,
        };
        ReleaseAdapter(s);
        s.Output.Writer.TryComplete();
        s.Completion.TrySetResult(result);
    }

    private void Fail(SequenceState s, Exception ex)
    {
        _running.Remove(s);
        _waiting.Remove(s);
        ReleaseBlocks(s);
        ReleaseAdapter(s);
        s.Output.Writer.TryComplete(ex);
        s.Completion.TrySetException(ex);
    }
}
