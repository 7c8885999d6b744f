using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using CyLlm.Engine.KvCache;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>
/// Causal self-attention for a batch of tokens, one part per (query run, KV head). A query run is up to
/// <see cref="MaxRun"/> consecutive tokens of one sequence (a prefill chunk; a decode token is a run of one):
/// the run's tokens and the query heads of a GQA group share each key/value tile, which is read (and, for
/// F16/Q8_0 caches, decoded to floats) once per part, not once per token and head. Every query still gets
/// exactly the per-tile arithmetic it would get alone, so results do not depend on the batch. Keys and values
/// of every position up to each token's own are already in the cache. Work goes in tiles of
/// <see cref="AttentionKernel.Tile"/> keys inside a cache block; scores live in per-worker scratch, indexed by key
/// position. A sliding-window layer (<see cref="Window"/>) gives each query the lower bound p − W + 1 on key positions:
/// blocks wholly below the run's lowest bound are not read, and a tile that straddles a query's bound is entered at
/// the bound (scores are per-key dot products and values a per-key FMA chain, so the results are those of a tile
/// that starts there). With <see cref="Sinks"/> (gpt-oss) each head's softmax has one more logit in its denominator.
/// </summary>
internal sealed unsafe class AttentionJob : IParallelJob, IDisposable
{
    private readonly int _group;       // query heads per KV head
    private readonly int _context;
    /// <summary>Most tokens in one query run.</summary>
    public const int MaxRun = 8;

    private readonly float*[] _scores; // per worker: [MaxRun, group, context]
    private readonly float*[] _tile;   // per worker: [Tile, kvDim] decoded keys or values (rows headDim apart,
                                       // or kvDim apart when a Q8_0 block spans heads)

    public AttentionJob(int workers, int context, int group, int headDim, int kvDim)
    {
        Debug.Assert(workers >= 1 && context >= 1 && group >= 1 && headDim >= 1);
        _group = group;
        _context = context;
        _scores = new float*[workers];
        _tile = new float*[workers];
        for (int i = 0; i < workers; i++)
        {
            _scores[i] = (float*)NativeMemory.AlignedAlloc((nuint)((long)MaxRun * group * context * sizeof(float)), 64);
            _tile[i] = (float*)NativeMemory.AlignedAlloc((nuint)(AttentionKernel.Tile * Math.Max(headDim, kvDim) * sizeof(float)), 64);
        }
    }

    public IKvCache Cache = null!;
    public int Layer;
    public int Heads;
    public int KvHeads;
    public int HeadDim;
    public float* Q;          // [tokens, heads*headDim]
    public float* Out;        // [tokens, heads*headDim]
    public int* Positions;    // [tokens]
    public int* Sequences;    // [tokens]
    public int* RunStarts;    // [runs + 1]: run r is tokens RunStarts[r] .. RunStarts[r + 1] − 1
    public float Scale;       // factor on q·k; 0 means 1/√headDim
    public float Softcap;     // c > 0: scores become c·tanh(score / c) before the softmax (Gemma 2); 0 = none
    public int Window;        // W > 0: a query at position p sees keys p − W + 1 … p only (a local layer); 0 = all
    public float* Sinks;      // [heads] sink logits joining each head's softmax denominator (gpt-oss), or null

    /// <summary>Splits the batch into query runs (consecutive tokens of one sequence at consecutive positions,
    /// at most <see cref="MaxRun"/>); writes <paramref name="runStarts"/>[0..runs] and returns the run count.</summary>
    public static int SplitRuns(int* positions, int* sequences, int tokens, int* runStarts)
    {
        int runs = 0;
        runStarts[0] = 0;
        for (int t = 1; t <= tokens; t++)
        {
            int start = runStarts[runs];
            if (t == tokens || t - start == MaxRun || sequences[t] != sequences[t - 1] || positions[t] != positions[t - 1] + 1)
            {
                runStarts[++runs] = t;
            }
        }

        return runs;
    }

    public void Execute(int index, int worker)
    {
        int r = index / KvHeads;
        int g = index % KvHeads;
        int t0 = RunStarts[r];
        int queries = RunStarts[r + 1] - t0;
        Debug.Assert(queries is >= 1 and <= MaxRun);
        int hd = HeadDim;
        int group = Heads / KvHeads;
        Debug.Assert(group == _group);
        int seq = Sequences[t0];
        int first = Positions[t0] + 1;              // keys seen by the run's first query
        int n = Positions[t0 + queries - 1] + 1;    // keys seen by its last
        Debug.Assert(n <= _context);
        // Query q of the run sees key positions From(first, q) … first + q − 1; lo is the run's lowest.
        int lo = From(first, 0);
        float scale = Scale > 0 ? Scale : 1f / MathF.Sqrt(hd);
        int bt = Cache.BlockTokens;
        int rowBytes = Cache.RowBytes;
        var type = Cache.Type;
        // Bytes of one head within a KV row, and the byte offset of head g (0 when whole rows are decoded).
        int headBytes = type switch
        {
            KvCacheType.F16 => hd * 2,
            KvCacheType.Q8_0 => hd / 32 * 34,
            _ => hd * 4,
        };
        nint headOffset = (nint)g * headBytes;
        var decodeAs = type == KvCacheType.F16 ? Tensors.GgmlType.F16 : Tensors.GgmlType.Q8_0;
        // Heads narrower than a Q8_0 block (32) share blocks: decode whole rows and read the head in place.
        bool wholeRows = type == KvCacheType.Q8_0 && hd % 32 != 0;
        int kvDim = KvHeads * hd;
        if (wholeRows)
        {
            headOffset = 0;
        }

        float* scores = _scores[worker];   // [query, head, context]
        float* tile = _tile[worker];
        nint qStride = (nint)Heads * hd;

        // Bytes of one key row this part reads (the head's slice, or the whole row when heads share Q8_0 blocks).
        int sliceBytes = wholeRows ? rowBytes : headBytes;

        // A head's keys are a slice of every row of a block (rows are kvDim wide), too scattered for the hardware
        // prefetcher: fetch the first block's keys now, and each next block's keys and this block's values
        // while this block's scores are computed.
        int b0 = lo / bt;                           // the first block any query of the run sees
        Prefetch((byte*)Cache.KeyBlock(Layer, seq, b0) + headOffset, Math.Min(bt, n - (b0 * bt)), rowBytes, sliceBytes);

        // Scores of every visible key for each query and head of the run.
        for (int b = b0, j0 = b0 * bt; j0 < n; b++, j0 += bt)
        {
            int m = Math.Min(bt, n - j0);
            byte* kb = (byte*)Cache.KeyBlock(Layer, seq, b) + headOffset;
            if (j0 + bt < n)
            {
                Prefetch((byte*)Cache.KeyBlock(Layer, seq, b + 1) + headOffset, Math.Min(bt, n - j0 - bt), rowBytes, sliceBytes);
            }

            Prefetch((byte*)Cache.ValueBlock(Layer, seq, b) + headOffset, m, rowBytes, sliceBytes);
            for (int jj = 0; jj < m; jj += AttentionKernel.Tile)
            {
                int mm = Math.Min(AttentionKernel.Tile, m - jj);
                float* rows = Rows(kb + ((nint)jj * rowBytes), rowBytes, mm, hd, kvDim, g, type, decodeAs, wholeRows, tile, out nint stride);
                int j = j0 + jj;
                for (int q = 0; q < queries; q++)
                {
                    // Keys a … a + visible − 1 of this tile: causal (below first + q), at or above the window bound.
                    int a = Math.Max(j, From(first, q));
                    int visible = Math.Min(j + mm, first + q) - a;
                    if (visible <= 0)
                    {
                        continue;
                    }

                    float* qv = Q + ((nint)(t0 + q) * qStride) + ((nint)g * group * hd);
                    float* sq = scores + ((nint)q * group * _context) + a;
                    float* kr = rows + ((a - j) * stride);
                    for (int h = 0; h < group; h++)
                    {
                        AttentionKernel.Scores(qv + ((nint)h * hd), kr, stride, hd, visible, scale, sq + ((nint)h * _context));
                    }
                }
            }
        }

        for (int q = 0; q < queries; q++)
        {
            float* o = Out + ((nint)(t0 + q) * qStride) + ((nint)g * group * hd);
            for (int h = 0; h < group; h++)
            {
                int from = From(first, q);
                var sc = new Span<float>(scores + ((nint)((q * group) + h) * _context) + from, first + q - from);
                if (Softcap > 0)
                {
                    Activations.SoftCap(sc, Softcap);
                }

                if (Sinks != null)
                {
                    Softmax.ApplyWithSink(sc, Sinks[(g * group) + h]);
                }
                else
                {
                    Softmax.Apply(sc);
                }

                new Span<float>(o + ((nint)h * hd), hd).Clear();
            }
        }

        // Weighted sums of the values.
        for (int b = b0, j0 = b0 * bt; j0 < n; b++, j0 += bt)
        {
            int m = Math.Min(bt, n - j0);
            byte* vb = (byte*)Cache.ValueBlock(Layer, seq, b) + headOffset;
            for (int jj = 0; jj < m; jj += AttentionKernel.Tile)
            {
                int mm = Math.Min(AttentionKernel.Tile, m - jj);
                float* rows = Rows(vb + ((nint)jj * rowBytes), rowBytes, mm, hd, kvDim, g, type, decodeAs, wholeRows, tile, out nint stride);
                int j = j0 + jj;
                for (int q = 0; q < queries; q++)
                {
                    int a = Math.Max(j, From(first, q));
                    int visible = Math.Min(j + mm, first + q) - a;
                    if (visible <= 0)
                    {
                        continue;
                    }

                    float* o = Out + ((nint)(t0 + q) * qStride) + ((nint)g * group * hd);
                    float* sq = scores + ((nint)q * group * _context) + a;
                    AttentionKernel.AccumulateValuesHeads(sq, _context, rows + ((a - j) * stride), stride, visible, hd, o, hd, group);
                }
            }
        }
    }

    /// <summary>The lowest key position query <paramref name="q"/> of a run whose first query sees <paramref name="first"/>
    /// keys attends to: 0, or with a window W its position first − 1 + q minus W − 1.</summary>
    private int From(int first, int q) => Window > 0 ? Math.Max(0, first + q - Window) : 0;

    /// <summary>Prefetches <paramref name="rows"/> slices of <paramref name="bytes"/> bytes, <paramref name="stride"/> bytes apart.</summary>
    private static void Prefetch(byte* p, int rows, int stride, int bytes)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++, p += stride)
        {
            // Every 64-byte line the slice touches, from its first byte's line to its last byte's.
            for (nint a = (nint)p & ~63, end = (nint)(p + bytes - 1); a <= end; a += 64)
            {
                Sse.Prefetch0((void*)a);
            }
        }
    }

    /// <summary>The tile's rows of head g as floats: in place for F32, else decoded into <paramref name="tile"/>.</summary>
    private static float* Rows(byte* src, int rowBytes, int mm, int hd, int kvDim, int g, KvCacheType type, Tensors.GgmlType decodeAs, bool wholeRows, float* tile, out nint stride)
    {
        if (type == KvCacheType.F32)
        {
            stride = rowBytes / sizeof(float);
            return (float*)src;
        }

        if (wholeRows)
        {
            AttentionKernel.DecodeTile(decodeAs, src, rowBytes, mm, kvDim, tile);
            stride = kvDim;
            return tile + ((nint)g * hd);
        }

        AttentionKernel.DecodeTile(decodeAs, src, rowBytes, mm, hd, tile);
        stride = hd;
        return tile;
    }

    public void Dispose()
    {
        for (int i = 0; i < _scores.Length; i++)
        {
            NativeMemory.AlignedFree(_scores[i]);
            NativeMemory.AlignedFree(_tile[i]);
            _scores[i] = null;
            _tile[i] = null;
        }
    }
}
