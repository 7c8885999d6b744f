using CyLlm.Engine.Sampling;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Scheduling;

/// <summary>
/// Samples the logit rows of one step in parallel on the engine's worker pool: part r runs sequence r's own
/// <see cref="Sampler"/> on row r (samplers share nothing, so the result is the same as a serial loop). At 64
/// running sequences the rows are 64 × vocab floats, and reading them once per step on one thread was most of
/// the scheduler's overhead.
/// </summary>
internal sealed unsafe class SamplingJob : IParallelJob
{
    private SampleResult[] _results = [];

    public float* Logits;                       // [rows, Vocab], sampled in place
    public int Vocab;
    public List<SequenceState> Sequences = [];  // row r belongs to Sequences[r]

    /// <summary>Results of the last run, by row.</summary>
    public ReadOnlySpan<SampleResult> Results => _results.AsSpan(0, Sequences.Count);

    public void Run(WorkerPool pool)
    {
        if (_results.Length < Sequences.Count)
        {
            _results = new SampleResult[Math.Max(Sequences.Count, _results.Length * 2)];
        }

        pool.Run(this, Sequences.Count);
    }

    public void Execute(int index, int worker) =>
        _results[index] = Sequences[index].Sampler.Sample(new Span<float>(Logits + ((nint)index * Vocab), Vocab));
}
