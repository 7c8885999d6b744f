using System.Diagnostics;
using CyLlm.Engine.Execution;
using CyLlm.Models;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine;

/// <summary>
/// A loaded model ready to generate: weights bound from the memory-mapped file, a worker pool and one
/// single-stream session. The serving engine (continuous batching) builds on the same forward pass.
/// </summary>
public sealed partial class InferenceEngine : IDisposable
{
    private readonly ModelWeights _weights;
    private readonly WorkerPool _pool;
    private readonly EngineOptions _options;
    private Session? _session;

    private InferenceEngine(LoadedModel model, EngineOptions options)
    {
        Model = model;
        _options = options;
        _weights = new ModelWeights(model);
        int ctx = options.ContextTokens > 0 ? options.ContextTokens : Math.Min(model.Config.ContextLength, EngineOptions.DefaultContextCap);
        ContextTokens = Math.Max(1, ctx);
        var c = model.Config;
        long kvBytes = 2L * c.Layers * ContextTokens * c.KvHeads * c.HeadDim * sizeof(float);
        MemoryBudget.Check(model.FileBytes, kvBytes, ContextTokens, options.MemoryLimitBytes > 0 ? options.MemoryLimitBytes : MemoryBudget.Available());
        InitTokenizer();
        if (options.ChatTemplate is not null)
        {
            // Parsed now: a template that does not parse stops the load with its line and column, not the first chat.
            _chatTemplate = ChatTemplates.ChatTemplateSelector.Override(options.ChatTemplate);
        }

        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        _pool = new WorkerPool(threads);
    }

    public LoadedModel Model { get; }

    internal ModelWeights Weights => _weights;

    internal WorkerPool Pool => _pool;

    public ModelConfig Config => Model.Config;

    public int ContextTokens { get; }

    public int Threads => _pool.ThreadCount;

    /// <summary>Opens a model file (GGUF, llama2.c .bin or a Hugging Face folder).</summary>
    public static InferenceEngine Load(string modelPath, string? tokenizerPath = null, EngineOptions? options = null, IProgress<double>? progress = null)
    {
        var model = ModelLoader.Load(modelPath, tokenizerPath, progress);
        try
        {
            return new InferenceEngine(model, options ?? new EngineOptions());
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private Session GetSession()
    {
        _session ??= new Session(_weights, _pool, ContextTokens, Math.Max(1, _options.MaxBatch));
        _session.Reset();
        return _session;
    }

    /// <summary>
    /// Measures prompt processing of <paramref name="promptTokens"/> tokens and generation of
    /// <paramref name="genTokens"/> tokens (greedy), with the prompt of ../shared/peer/bench.mjs.
    /// Returns medians over <paramref name="repetitions"/> runs after a warm-up of at least <see cref="WarmUpSeconds"/>.
    /// </summary>
    public BenchResult Bench(int promptTokens, int genTokens, int repetitions)
    {
        lock (_sessionLock)
        {
            return BenchLocked(promptTokens, genTokens, repetitions);
        }
    }

    private BenchResult BenchLocked(int promptTokens, int genTokens, int repetitions)
    {
        if (promptTokens < 1 || genTokens < 0 || promptTokens + genTokens > ContextTokens)
        {
            throw new ArgumentException($"prompt {promptTokens} + generation {genTokens} tokens must be positive and fit the {ContextTokens}-token context");
        }

        long rssAfterLoad = Environment.WorkingSet;
        int bos = Tokenizer?.BosId ?? 1;
        var prompt = PromptSynth.Tokens(promptTokens, Config.VocabSize, 42, bos);
        var pp = new List<double>();
        var tg = new List<double>();
        var ttft = new List<double>();
        var session = GetSession();
        var one = new int[1];
        // Warm-up of at least WarmUpSeconds (and one pass): a single pass of a small model takes ~0.2 s, too short
        // for tiered compilation to promote the hot loops, and the measured passes would then run partly in
        // instrumented code. The concurrency bench warms up the same way.
        long warmStart = Stopwatch.GetTimestamp();
        do
        {
            Pass(session, prompt, genTokens, one, out _, out _);
        }
        while (Stopwatch.GetElapsedTime(warmStart).TotalSeconds < WarmUpSeconds);

        for (int rep = 0; rep < repetitions; rep++)
        {
            Pass(session, prompt, genTokens, one, out double prefillSeconds, out double genSeconds);
            pp.Add(promptTokens / prefillSeconds);
            ttft.Add(prefillSeconds * 1000);
            if (genTokens > 0)
            {
                tg.Add(genTokens / genSeconds);
            }
        }

        using var proc = Process.GetCurrentProcess();
        return new BenchResult(promptTokens, genTokens, Threads, repetitions, Median(pp), tg.Count > 0 ? Median(tg) : 0, Median(ttft),
            Model.FileBytes, session.KvBytes, rssAfterLoad, proc.PeakWorkingSet64);
    }

    /// <summary>Least warm-up time of <see cref="Bench"/>, in seconds.</summary>
    public const double WarmUpSeconds = 2;

    /// <summary>One bench pass on a fresh sequence: prefill of the prompt, then greedy generation.</summary>
    private static void Pass(Session session, int[] prompt, int genTokens, int[] one, out double prefillSeconds, out double genSeconds)
    {
        session.Reset();
        long t0 = Stopwatch.GetTimestamp();
        var logits = session.Append(prompt);
        int next = ArgMax(logits);
        prefillSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long t1 = Stopwatch.GetTimestamp();
        for (int i = 0; i < genTokens; i++)
        {
            one[0] = next;
            next = ArgMax(session.Append(one));
        }

        genSeconds = Stopwatch.GetElapsedTime(t1).TotalSeconds;
    }

    /// <summary>Logits after the last of <paramref name="tokens"/> (a fresh sequence), [vocab].</summary>
    public float[] PromptLogits(IReadOnlyList<int> tokens)
    {
        lock (_sessionLock)
        {
            var session = GetSession();
            return session.Append(tokens.ToArray()).ToArray();
        }
    }

    /// <summary>
    /// An embedding of <paramref name="tokens"/>: the final normed hidden states mean-pooled over the tokens,
    /// L2-normalized, [dim].
    /// </summary>
    public float[] Embed(IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0 || tokens.Count > ContextTokens)
        {
            throw new ArgumentException($"an embedding input needs 1 to {ContextTokens} tokens, got {tokens.Count}");
        }

        float[] mean;
        lock (_sessionLock)
        {
            mean = GetSession().MeanHidden(tokens.ToArray(), Config.Dim);
        }

        float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(mean));
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, norm, mean);
        }

        return mean;
    }

    /// <summary>The single-stream session serves one caller at a time.</summary>
    private readonly Lock _sessionLock = new();

    internal static int ArgMax(ReadOnlySpan<float> logits) => CyLlm.Tensors.ArgMax.Find(logits);

    private static double Median(List<double> v)
    {
        if (v.Count == 0)
        {
            return 0;
        }

        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
    }

    public void Dispose()
    {
        _session?.Dispose();
        _pool.Dispose();
        _weights.Dispose();
        Model.Dispose();
    }
}
