using System.Diagnostics;
using System.Runtime.InteropServices;
using CyLlm.Engine.KvCache;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>
/// Runs one scheduled step, as vLLM v1's model runner: flattens the batch into step arrays (token, position, slot,
/// adapter per token; one block table per sequence; one logit row per sequence whose last token is in the step),
/// runs the <see cref="ForwardPass"/> over the paged cache, and samples each logit row with its sequence's own
/// <see cref="Sampler"/> on the worker pool. Owned by the engine's loop thread; every array is reused, so a step
/// allocates nothing of its own.
/// </summary>
internal sealed unsafe class ModelRunner : IDisposable
{
    private readonly ForwardPass _forward;
    private readonly WorkerPool _pool;
    private readonly int _vocab;

    // The step arrays, [step tokens] each, and the logit rows, [sequences with a logit row], reused every step.
    private readonly List<int> _stepTokens = [];
    private readonly List<int> _stepPositions = [];
    private readonly List<int> _stepSlots = [];
    private readonly List<int> _logitRows = [];
    private readonly List<(SequenceState Seq, int Position)> _promptRows = []; // rows after the sampled ones: prompt logprobs
    private readonly List<Lora.LoraAdapter?> _stepAdapters = [];
    private readonly SamplingJob _sampling = new();
    private List<BlockId>[] _tables = [];   // block tables of the batch's sequences, by slot
    private float[] _forkRows = [];         // [children, vocab]: copies of a parent's row before its sampler edits it

    public ModelRunner(ModelWeights weights, WorkerPool pool, int tokenBudget, int contextTokens, int vocab)
    {
        _forward = new ForwardPass(weights, pool, tokenBudget, contextTokens);
        _pool = pool;
        _vocab = vocab;
    }

    /// <summary>The sequences sampled in the last step, in row order (row r of <see cref="Execute"/>'s results).</summary>
    public List<SequenceState> Sampled => _sampling.Sequences;

    /// <summary>First tokens of <c>n</c> &gt; 1 choices sampled in the last step: each pending child of a sequence that
    /// reached its first token, with its sample from the parent's logit row (before any sampler changed it).</summary>
    public List<(SequenceState Parent, SequenceState Child, SampleResult Sample)> ForkSamples { get; } = [];

    /// <summary>Stopwatch ticks of the last step's forward pass and sampling: the model's share of the step.</summary>
    public long LastTicks { get; private set; }

    /// <summary>
    /// Runs <paramref name="batch"/> (each sequence with the number of its next tokens to compute; positions and block
    /// tables already checked by the caller) and returns one sample per sequence that reached its last token, in the order
    /// of <see cref="Sampled"/>. <paramref name="tap"/> sees each logit row before sampling (tests).
    /// </summary>
    public ReadOnlySpan<SampleResult> Execute(List<(SequenceState Seq, int Count)> batch, PagedKvStorage storage, ServingEngine.LogitsTap? tap)
    {
        long t0 = Stopwatch.GetTimestamp();
        _stepTokens.Clear();
        _stepPositions.Clear();
        _stepSlots.Clear();
        _stepAdapters.Clear();
        _logitRows.Clear();
        var sampled = _sampling.Sequences;
        sampled.Clear();
        _promptRows.Clear();
        if (_tables.Length < batch.Count)
        {
            _tables = new List<BlockId>[Math.Max(batch.Count, _tables.Length * 2)];
        }

        var tables = _tables;
        for (int slot = 0; slot < batch.Count; slot++)
        {
            var (s, n) = batch[slot];
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
                sampled.Add(s);
            }
        }

        // Prompt logprobs: the row at position p scores prompt token p + 1. Their rows follow the sampled ones.
        for (int slot = 0, first = 0; slot < batch.Count; first += batch[slot].Count, slot++)
        {
            var (s, n) = batch[slot];
            if (s.PromptLogprobs is not { } scored)
            {
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                int p = s.Computed + i;
                if (p + 1 < s.PromptLength && p + 1 >= scored.Count) // positions arrive in order; a recomputation skips scored ones
                {
                    _promptRows.Add((s, p));
                    _logitRows.Add(first + i);
                }
            }
        }

        storage.Tables = tables;
        var logits = _forward.Forward(
            storage,
            CollectionsMarshal.AsSpan(_stepTokens),
            CollectionsMarshal.AsSpan(_stepPositions),
            CollectionsMarshal.AsSpan(_stepSlots),
            CollectionsMarshal.AsSpan(_logitRows),
            CollectionsMarshal.AsSpan(_stepAdapters));
        if (tap is not null)
        {
            for (int r = 0; r < sampled.Count; r++)
            {
                tap(sampled[r].Request, sampled[r].Generated, logits.Slice(r * _vocab, _vocab));
            }
        }

        for (int r = 0; r < _promptRows.Count; r++)
        {
            var (s, p) = _promptRows[r];
            var row = logits.Slice((sampled.Count + r) * _vocab, _vocab);
            s.PromptLogprobs!.Add(LogprobCalculator.Of(row, s.Tokens[p + 1], s.Request.PromptLogprobs ?? 0));
            if (s.PromptLogprobs.Count == s.PromptLength)
            {
                // Complete and never added to again: a stream may send the echoed prompt now, before the first token.
                s.PromptScored?.TrySetResult(s.PromptLogprobs);
            }
        }

        // n > 1: the pending children sample the parent's first-token row too, from copies taken before its sampler runs.
        ForkSamples.Clear();
        int children = 0;
        for (int r = 0; r < sampled.Count; r++)
        {
            if (sampled[r].ForkChildren is { } kids && sampled[r].Generated == 0)
            {
                int need = (children + kids.Count) * _vocab;
                if (_forkRows.Length < need)
                {
                    Array.Resize(ref _forkRows, need);
                }

                foreach (var _ in kids)
                {
                    logits.Slice(r * _vocab, _vocab).CopyTo(_forkRows.AsSpan(children++ * _vocab, _vocab));
                }
            }
        }

        // The logits are the forward pass's scratch, rewritten by the next call: the samplers apply their biases and
        // penalties in place instead of copying each row first, one row per pool part.
        fixed (float* rows = logits)
        {
            _sampling.Logits = rows;
            _sampling.Vocab = _vocab;
            _sampling.Run(_pool);
        }

        children = 0;
        for (int r = 0; r < sampled.Count; r++)
        {
            if (sampled[r].ForkChildren is { } kids && sampled[r].Generated == 0)
            {
                foreach (var kid in kids)
                {
                    ForkSamples.Add((sampled[r], kid, kid.Sampler.Sample(_forkRows.AsSpan(children++ * _vocab, _vocab))));
                }
            }
        }

        LastTicks = Stopwatch.GetTimestamp() - t0;
        return _sampling.Results;
    }

    public void Dispose() => _forward.Dispose();
}
