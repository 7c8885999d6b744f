using System.Diagnostics;
using System.Numerics.Tensors;
using CyLlm.Engine.Sampling.Grammars;
using CyLlm.Tokenizers;

namespace CyLlm.Engine.Sampling;

/// <summary>
/// Chooses the next token from logits. Order, as vLLM: grammar mask (structured outputs) → logit bias → min-tokens EOS ban → repetition,
/// presence and frequency penalties → (logprobs are taken here) → temperature → top-k → top-p → min-p →
/// a draw from the seeded generator. One instance per sequence: it owns its random state and token counts.
/// Scratch is allocated once per vocabulary size; sampling a token allocates only the optional logprob array.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingParams _p;
    private readonly Random _random;
    private readonly Dictionary<int, int> _outputCounts = new();
    private readonly HashSet<int> _promptTokens = new();
    private readonly IReadOnlyList<int> _eogIds;
    private float[] _work = [];
    private int[] _index = [];
    private float[] _sortKeys = [];
    private readonly PriorityQueue<int, float> _heap = new();
    private int _generated;
    private readonly ITokenizer? _tokenizer;
    private TokenVocabulary? _vocabulary;
    private GrammarMatcher? _matcher;
    private bool _grammarFailed;

    /// <param name="tokenizer">Needed when <see cref="SamplingParams.Grammar"/> is set: the grammar matcher works on
    /// the tokens' bytes (its vocabulary is built once per tokenizer and cached).</param>
    public Sampler(SamplingParams parameters, IReadOnlyList<int> endOfGenerationIds, IEnumerable<int>? promptTokens = null, ITokenizer? tokenizer = null)
    {
        if (parameters.Grammar is not null && tokenizer is null)
        {
            throw new ArgumentException("a grammar-constrained request needs the tokenizer (its token bytes)", nameof(tokenizer));
        }

        _tokenizer = tokenizer;
        if (parameters.Grammar is not null)
        {
            // Built (once per tokenizer, then cached) here on the request's thread rather than inside a batch step.
            _vocabulary = TokenVocabulary.For(tokenizer!);
        }

        _p = parameters;
        _eogIds = endOfGenerationIds;
        _random = parameters.Seed is long s ? new Random(unchecked((int)(s ^ (s >> 32)))) : new Random();
        if (promptTokens is not null && parameters.RepetitionPenalty != 1f)
        {
            foreach (int t in promptTokens)
            {
                _promptTokens.Add(t);
            }
        }
    }

    /// <summary>A sampler over an explicit vocabulary (its end-of-generation ids included): for callers without an
    /// <see cref="ITokenizer"/>, such as tests over hand-made vocabularies.</summary>
    public Sampler(SamplingParams parameters, TokenVocabulary vocabulary, IEnumerable<int>? promptTokens = null)
        : this(parameters with { Grammar = null }, vocabulary.EndOfGenerationIds, promptTokens)
    {
        _p = parameters;
        _vocabulary = vocabulary;
    }

    /// <summary>The grammar state of this sequence (null without a grammar, or before the first token).</summary>
    public GrammarMatcher? Matcher => _matcher;

    /// <summary>Records a token appended to the output without sampling (e.g. a forced or replayed one); it also
    /// advances the grammar (a token the grammar rejects leaves the grammar state where it was).</summary>
    public void Accept(int token)
    {
        _outputCounts[token] = _outputCounts.TryGetValue(token, out int c) ? c + 1 : 1;
        _generated++;
        if (_p.Grammar is not null && !_grammarFailed)
        {
            try
            {
                GetMatcher().Accept(token);
            }
            catch (GrammarException)
            {
                // A bound hit while advancing (ambiguity, depth): the next step ends the sequence with EOG.
                _grammarFailed = true;
            }
        }
    }

    private GrammarMatcher GetMatcher()
    {
        if (_matcher is null)
        {
            _vocabulary ??= TokenVocabulary.For(_tokenizer!);
            _matcher = new GrammarMatcher(_p.Grammar!, _vocabulary);
        }

        return _matcher;
    }

    /// <summary>
    /// The grammar mask, before anything else touches the logits (as vLLM's structured-output backends): disallowed
    /// tokens get −∞, so bias, penalties, temperature and the filters all act on the constrained distribution, and
    /// the logprobs reported are those of these processed logits. Returns false when the grammar allows nothing
    /// (a bug or a grammar bound hit mid-generation): the caller then ends the sequence with EOG instead of failing.
    /// </summary>
    private bool ApplyGrammar(Span<float> logits)
    {
        if (_grammarFailed)
        {
            return false;
        }

        try
        {
            return GetMatcher().ApplyMask(logits);
        }
        catch (GrammarException)
        {
            _grammarFailed = true;
            return false;
        }
    }

    /// <summary>The forced end when the grammar leaves no choice: the first end-of-generation id, else the best
    /// remaining logit (a model without EOG ids cannot do better).</summary>
    private SampleResult ForcedEnd(Span<float> logits)
    {
        int token = _eogIds.Count > 0 ? _eogIds[0] : CyLlm.Tensors.ArgMax.Find(logits);
        _outputCounts[token] = _outputCounts.TryGetValue(token, out int c) ? c + 1 : 1;
        _generated++;
        return new SampleResult(token, 0, null);
    }

    /// <summary>Picks the next token; <paramref name="logits"/> is modified in place.</summary>
    public SampleResult Sample(Span<float> logits)
    {
        int vocab = logits.Length;
        // Greedy sampling without logprobs needs no scratch: skip three vocabulary-sized arrays per sequence
        // (~384 KB on the large-object heap for a 32k vocabulary, per request).
        if (_work.Length != vocab && (!_p.IsGreedy || _p.Logprobs || _p.TopLogprobs > 0))
        {
            _work = new float[vocab];
            _index = new int[vocab];
            _sortKeys = new float[vocab];
        }

        if (_p.Grammar is not null && !ApplyGrammar(logits))
        {
            return ForcedEnd(logits);
        }

        ApplyBiasAndPenalties(logits);
        if (_p.Grammar is not null && TensorPrimitives.Max(logits) == float.NegativeInfinity)
        {
            // Only EOG was allowed and min_tokens banned it: the grammar wins (the output is complete).
            return ForcedEnd(logits);
        }

        int chosen;
        if (_p.IsGreedy)
        {
            chosen = CyLlm.Tensors.ArgMax.Find(logits);
        }
        else
        {
            chosen = Draw(logits);
        }

        float logprob = 0;
        TokenLogprob[]? top = null;
        if (_p.Logprobs || _p.TopLogprobs > 0)
        {
            (logprob, top) = Logprobs(logits, chosen);
        }

        Accept(chosen);
        return new SampleResult(chosen, logprob, top);
    }

    private void ApplyBiasAndPenalties(Span<float> logits)
    {
        if (_p.LogitBias is { } bias)
        {
            foreach (var (id, b) in bias)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] += b;
                }
            }
        }

        if (_generated < _p.MinTokens)
        {
            foreach (int id in _eogIds)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] = float.NegativeInfinity;
                }
            }

            foreach (int id in _p.StopTokenIds)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] = float.NegativeInfinity;
                }
            }
        }

        float rp = _p.RepetitionPenalty;
        if (rp != 1f)
        {
            foreach (int id in _promptTokens)
            {
                Penalize(logits, id, rp);
            }

            foreach (var (id, _) in _outputCounts)
            {
                if (!_promptTokens.Contains(id))
                {
                    Penalize(logits, id, rp);
                }
            }
        }

        if (_p.PresencePenalty != 0 || _p.FrequencyPenalty != 0)
        {
            foreach (var (id, count) in _outputCounts)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] -= (_p.FrequencyPenalty * count) + _p.PresencePenalty;
                }
            }
        }
    }

    private static void Penalize(Span<float> logits, int id, float rp)
    {
        if ((uint)id < (uint)logits.Length)
        {
            logits[id] = logits[id] > 0 ? logits[id] / rp : logits[id] * rp;
        }
    }

    private int Draw(Span<float> logits)
    {
        int vocab = logits.Length;
        var work = _work.AsSpan(0, vocab);
        TensorPrimitives.Divide(logits, _p.Temperature, work);

        // Candidates sorted by logit, most likely first: a full sort only when top-p needs it; top-k alone
        // needs just the k best.
        var idx = _index.AsSpan(0, vocab);
        int k = _p.TopK > 0 ? Math.Min(_p.TopK, vocab) : vocab;
        int n = SortCandidates(work, idx, k, needSorted: _p.TopP < 1f || _p.MinP > 0f || k < vocab);

        // Softmax over the candidates.
        float max = work[idx[0]];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            total += Math.Exp(work[idx[i]] - max);
        }

        if (_p.TopP < 1f)
        {
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++)
            {
                cum += Math.Exp(work[idx[i]] - max) / total;
                if (cum >= _p.TopP)
                {
                    keep = i + 1;
                    break;
                }
            }

            n = keep;
        }

        if (_p.MinP > 0f)
        {
            // p_i ≥ minP·p_max  ⇔  logit_i − max ≥ ln(minP)
            float threshold = max + MathF.Log(_p.MinP);
            int keep = 1;
            while (keep < n && work[idx[keep]] >= threshold)
            {
                keep++;
            }

            n = keep;
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += Math.Exp(work[idx[i]] - max);
        }

        double r = _random.NextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < n; i++)
        {
            acc += Math.Exp(work[idx[i]] - max);
            if (r < acc)
            {
                return idx[i];
            }
        }

        return idx[n - 1];
    }

    /// <summary>
    /// Puts the candidate indices into <paramref name="idx"/>: the best <paramref name="k"/> in descending
    /// order when sorting is needed, else all indices with the best first. Returns the candidate count.
    /// </summary>
    private int SortCandidates(Span<float> values, Span<int> idx, int k, bool needSorted)
    {
        int vocab = values.Length;
        if (!needSorted)
        {
            int best = TensorPrimitives.IndexOfMax(values);
            for (int i = 0; i < vocab; i++)
            {
                idx[i] = i;
            }

            (idx[0], idx[best]) = (idx[best], idx[0]);
            return vocab;
        }

        if (k < vocab)
        {
            return SelectTop(values, k, idx);
        }

        // Full descending sort (top-p/min-p over the whole vocabulary): negated keys sorted together with
        // the ids, in buffers kept across tokens.
        var keys = _sortKeys.AsSpan(0, vocab);
        TensorPrimitives.Negate(values, keys);
        for (int i = 0; i < vocab; i++)
        {
            idx[i] = i;
        }

        keys.Sort(idx[..vocab]);
        return vocab;
    }

    /// <summary>The <paramref name="k"/> largest values' ids into <paramref name="idx"/>, largest first, through
    /// a min-heap of size k kept across tokens. Returns how many were written.</summary>
    private int SelectTop(ReadOnlySpan<float> values, int k, Span<int> idx)
    {
        var heap = _heap;
        heap.Clear();
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (heap.Count < k)
            {
                heap.Enqueue(i, v);
            }
            else if (heap.TryPeek(out _, out float least) && v > least)
            {
                heap.EnqueueDequeue(i, v);
            }
        }

        int c = heap.Count;
        for (int i = c - 1; i >= 0; i--)
        {
            idx[i] = heap.Dequeue();
        }

        return c;
    }

    /// <summary>The chosen token's logprob and the top alternatives, from the processed logits (one routine with
    /// the prompt logprobs of echo: <see cref="LogprobCalculator"/>).</summary>
    private (float Chosen, TokenLogprob[]? Top) Logprobs(ReadOnlySpan<float> logits, int chosen)
    {
        var r = LogprobCalculator.Of(logits, chosen, _p.TopLogprobs);
        return (r.Logprob, r.TopLogprobs);
    }
}
