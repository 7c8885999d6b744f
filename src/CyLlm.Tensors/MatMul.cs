using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CyLlm.Tensors.Quant;
using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors;

/// <summary>
/// y = W·x for one or more weight matrices that share the same input, over a batch of tokens, on a
/// <see cref="WorkerPool"/>. Inputs are [tokens, cols] row-major floats; each output is [tokens, rows].
/// Activations are quantized once per call for the integer kernels. Work is split into row chunks; within a
/// chunk every weight row is dotted with all tokens while it is hot in L1, so prompt processing reads each
/// weight once. One instance per engine (it owns scratch memory); not thread-safe.
/// </summary>
public sealed unsafe class MatMul : IParallelJob, IDisposable
{
    private const int MaxMatrices = 3;

    private readonly WorkerPool _pool;
    private readonly ActivationQuantizeJob _quantize = new();
    private readonly QuantMatrix[] _w = new QuantMatrix[MaxMatrices];
    private readonly nint[] _y = new nint[MaxMatrices];
    private readonly int[] _partStart = new int[MaxMatrices + 1];
    private readonly int[] _chunk = new int[MaxMatrices];
    private int _count;
    private float* _x;
    private int _tokens;
    private int _cols;
    private Q8Block* _q8;        // [tokens, cols/32] quantized activations, one scale per 32 (Q8_0, Q4_0, Q4_1, Q5_x, IQ4_NL)
    private Q8Block* _q8k;       // [tokens, cols/32] quantized activations, one scale per 256 (K-quants, IQ4_XS)
    private nint _q8kCapacity;   // in blocks
    private short* _q8kSums;     // [tokens, cols/16] Σq of every 16 quantized activations (K-quant minimums and offsets)
    private nint _q8kSumsCapacity;
    private float* _xScaled;     // x·2^112 for the F16 decode kernel, or null
    private float* _xScaledBuffer;
    private int _xScaledCapacity;
    private nint _q8Capacity;    // in blocks

    public MatMul(WorkerPool pool)
    {
        _pool = pool;
    }

    public WorkerPool Pool => _pool;

    /// <summary>y = W·x for <paramref name="tokens"/> rows of x.</summary>
    public void Run(in QuantMatrix w, float* x, int tokens, float* y)
    {
        _w[0] = w;
        _y[0] = (nint)y;
        Dispatch(1, x, tokens);
    }

    /// <summary>y0 = W0·x and y1 = W1·x in one dispatch (e.g. the FFN gate and up projections).</summary>
    public void Run(in QuantMatrix w0, float* y0, in QuantMatrix w1, float* y1, float* x, int tokens)
    {
        _w[0] = w0;
        _y[0] = (nint)y0;
        _w[1] = w1;
        _y[1] = (nint)y1;
        Dispatch(2, x, tokens);
    }

    /// <summary>Three matrices sharing the input (e.g. the Q, K and V projections).</summary>
    public void Run(in QuantMatrix w0, float* y0, in QuantMatrix w1, float* y1, in QuantMatrix w2, float* y2, float* x, int tokens)
    {
        _w[0] = w0;
        _y[0] = (nint)y0;
        _w[1] = w1;
        _y[1] = (nint)y1;
        _w[2] = w2;
        _y[2] = (nint)y2;
        Dispatch(3, x, tokens);
    }

    private void Dispatch(int count, float* x, int tokens)
    {
        int cols = _w[0].Cols;
        bool q8 = false, q8k = false;
        for (int i = 0; i < count; i++)
        {
            if (_w[i].Cols != cols)
            {
                throw new ArgumentException("matrices sharing an input must have the same column count");
            }

            q8 |= _w[i].UsesQ8Activations && !_w[i].UsesSuperBlockActivations;
            q8k |= _w[i].UsesSuperBlockActivations;
        }

        _count = count;
        _x = x;
        _tokens = tokens;
        _cols = cols;
        // Integer-dot types always dot against 8-bit activations, whatever the token count: a token's result
        // must not depend on how many tokens share the step (batch invariance), so prefill and decode use one path.
        if (q8)
        {
            Ensure(ref _q8, ref _q8Capacity, tokens * (nint)(cols / 32));
            Quantize(x, tokens, cols, _q8, superBlocks: false);
        }

        if (q8k)
        {
            Ensure(ref _q8k, ref _q8kCapacity, tokens * (nint)(cols / 32));
            Ensure(ref _q8kSums, ref _q8kSumsCapacity, tokens * (nint)(cols / 16));

            Quantize(x, tokens, cols, _q8k, superBlocks: true);
        }

        // F16 decode: scale x by 2^112 once so the kernel skips the per-element rebias multiply.
        _xScaled = null;
        bool f16 = false;
        for (int i = 0; i < count; i++)
        {
            f16 |= _w[i].Type == GgmlType.F16;
        }

        if (f16 && tokens == 1)
        {
            var xs = new ReadOnlySpan<float>(x, cols);
            if (System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(xs) is float mx && MathF.Abs(mx) < VecDot.PreScaleLimit)
            {
                if (_xScaledCapacity < cols)
                {
                    NativeMemory.AlignedFree(_xScaledBuffer);
                    _xScaledBuffer = (float*)NativeMemory.AlignedAlloc((nuint)(cols * sizeof(float)), 64);
                    _xScaledCapacity = cols;
                }

                System.Numerics.Tensors.TensorPrimitives.Multiply(xs, VecDot.PreScale, new Span<float>(_xScaledBuffer, cols));
                _xScaled = _xScaledBuffer;
            }
        }

        // Chunks: enough parts per thread for balance, each a multiple of 4 rows.
        int threads = _pool.ThreadCount;
        int parts = 0;
        for (int i = 0; i < count; i++)
        {
            int rows = _w[i].Rows;
            int target = Math.Max(1, threads * 4 * (tokens > 1 ? 2 : 1));
            int chunk = Math.Max(4, (rows + target - 1) / target);
            // Repacked matrices are processed 16 rows at a time.
            chunk = _w[i].Packed != null ? (chunk + 15) & ~15 : (chunk + 3) & ~3;
            _chunk[i] = chunk;
            _partStart[i] = parts;
            parts += (rows + chunk - 1) / chunk;
        }

        _partStart[count] = parts;
        _pool.Run(this, parts);
    }

    /// <summary>Quantizes every token's activations (in parallel from 4 tokens on; the result is the same either way).</summary>
    private void Quantize(float* x, int tokens, int cols, Q8Block* dst, bool superBlocks)
    {
        if (tokens >= 4)
        {
            _quantize.X = x;
            _quantize.Dst = dst;
            _quantize.Cols = cols;
            _quantize.SuperBlocks = superBlocks;
            _quantize.Sums16 = superBlocks ? _q8kSums : null;
            _pool.Run(_quantize, tokens);
            return;
        }

        for (int t = 0; t < tokens; t++)
        {
            if (superBlocks)
            {
                ActivationQuantizer.ToQ8K(x + ((nint)t * cols), dst + ((nint)t * (cols / 32)), _q8kSums + ((nint)t * (cols / 16)), cols);
            }
            else
            {
                ActivationQuantizer.ToQ8(x + ((nint)t * cols), dst + ((nint)t * (cols / 32)), cols);
            }
        }
    }

    /// <summary>Grows <paramref name="buffer"/> (64-byte aligned) to hold <paramref name="count"/> elements; keeps it when large enough.</summary>
    private static void Ensure<T>(ref T* buffer, ref nint capacity, nint count)
        where T : unmanaged
    {
        if (count <= capacity)
        {
            return;
        }

        NativeMemory.AlignedFree(buffer);
        buffer = (T*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(T)), 64);
        capacity = count;
    }

    void IParallelJob.Execute(int index, int worker)
    {
        int m = 0;
        while (index >= _partStart[m + 1])
        {
            m++;
        }

        ref readonly QuantMatrix w = ref _w[m];
        int r0 = (index - _partStart[m]) * _chunk[m];
        int r1 = Math.Min(w.Rows, r0 + _chunk[m]);
        if (w.Packed != null)
        {
            PackedRange(in w, (float*)_y[m], r0, r1);
        }
        else if (w.UsesQ8Activations)
        {
            RowRange(in w, (float*)_y[m], r0, r1);
        }
        else
        {
            FloatRange(in w, (float*)_y[m], r0, r1, worker);
        }
    }

    private readonly Lock _scratchLock = new(); // workers size the scratch lazily, all in the same run
    private float*[] _scratch = [];   // per worker: 4 dequantized weight rows [4, cols]
    private int _scratchCols;

    private float* Scratch(int worker, int cols)
    {
        if (_scratch.Length != _pool.ThreadCount || _scratchCols < cols)
        {
            lock (_scratchLock)
            {
                if (_scratch.Length != _pool.ThreadCount || _scratchCols < cols)
                {
                    foreach (var p in _scratch)
                    {
                        NativeMemory.AlignedFree(p);
                    }

                    var s = new float*[_pool.ThreadCount];
                    for (int i = 0; i < s.Length; i++)
                    {
                        s[i] = (float*)NativeMemory.AlignedAlloc((nuint)(4 * cols * sizeof(float)), 64);
                    }

                    _scratchCols = cols;
                    _scratch = s;
                }
            }
        }

        return _scratch[worker];
    }

    /// <summary>
    /// Float-activation types (F32, F16, BF16): blocks of 4 weight rows (dequantized once into per-worker
    /// scratch unless already F32) against blocks of 4 tokens through the register-tiled float kernels. Decode of F16
    /// and BF16 rows dots them in place. Every kernel here sums in the canonical order of <see cref="VecDot.F32"/>, so
    /// a token's outputs do not depend on the token count of the step.
    /// </summary>
    private void FloatRange(in QuantMatrix w, float* y, int r0, int r1, int worker)
    {
        int cols = _cols;
        int tokens = _tokens;
        int rows = w.Rows;
        if (tokens < 4)
        {
            DecodeRange(in w, y, r0, r1);
            return;
        }

        float* buf = w.Type == GgmlType.F32 ? null : Scratch(worker, cols);
        for (int r = r0; r < r1; r += 4)
        {
            int nr = Math.Min(4, r1 - r);
            float* wr;
            if (buf == null)
            {
                wr = (float*)w.Row(r);
            }
            else
            {
                for (int i = 0; i < nr; i++)
                {
                    Dequantize.Row(w.Type, w.Row(r + i), buf + ((nint)i * cols), cols);
                }

                wr = buf;
            }

            if (nr < 4)
            {
                for (int t = 0; t < tokens; t++)
                {
                    for (int i = 0; i < nr; i++)
                    {
                        y[((nint)t * rows) + r + i] = VecDot.F32(wr + ((nint)i * cols), _x + ((nint)t * cols), cols);
                    }
                }

                continue;
            }

            int j = 0;
            for (; j + 4 <= tokens; j += 4)
            {
                Gemm.Tile4x4(wr, cols, _x + ((nint)j * cols), cols, y + ((nint)j * rows) + r, rows, cols);
            }

            for (; j < tokens; j++)
            {
                Gemm.Tile4x1(wr, cols, _x + ((nint)j * cols), y + ((nint)j * rows) + r, cols);
            }
        }
    }

    /// <summary>
    /// Float rows against fewer than 4 tokens, one row at a time (half rows converted on the fly), in the canonical
    /// order like the tiles. Interleaving four rows' chains measured 25 % (L3-resident) to 2× (end to end) slower on
    /// Zen 4 with both 256- and 512-bit vectors.
    /// </summary>
    private void DecodeRange(in QuantMatrix w, float* y, int r0, int r1)
    {
        int cols = _cols;
        int rows = w.Rows;
        if (w.Type == GgmlType.F16 && _xScaled != null)
        {
            for (int r = r0; r < r1; r++)
            {
                y[r] = VecDot.F16PreScaled((ushort*)w.Row(r), _xScaled, cols);
            }

            return;
        }

        for (int r = r0; r < r1; r++)
        {
            byte* row = w.Row(r);
            for (int t = 0; t < _tokens; t++)
            {
                float* x = _x + ((nint)t * cols);
                y[((nint)t * rows) + r] = w.Type switch
                {
                    GgmlType.F32 => VecDot.F32((float*)row, x, cols),
                    GgmlType.F16 => VecDot.F16((ushort*)row, x, cols),
                    _ => VecDot.BF16((ushort*)row, x, cols),
                };
            }
        }
    }

    /// <summary>Repacked Q4_K (8 rows × 4 tokens), Q4_0 (16 rows × 16 tokens with 512-bit VNNI, else × 8) or Q8_0 (16 × 16 with 512-bit VNNI, else 8 × 8) per kernel call, integer dot products
    /// throughout. Chunks are multiples of 16 rows, so groups never straddle two parts.</summary>
    private void PackedRange(in QuantMatrix w, float* y, int r0, int r1)
    {
        int blocks = _cols / 32;
        int rows = w.Rows;
        if (w.Type == GgmlType.Q4_K)
        {
            // Against the super-block activations (ToQ8K) and their per-16 sums, 4 tokens per weight unpack.
            for (int g = r0 / Q4_Kx8.Rows; g * Q4_Kx8.Rows < r1; g++)
            {
                for (int t = 0; t < _tokens; t += Q4_Kx8.MaxTokens)
                {
                    Q4_Kx8.Group(w.Packed, g, _cols / 256, _q8k + ((nint)t * blocks), _q8kSums + ((nint)t * (_cols / 16)), blocks,
                        Math.Min(Q4_Kx8.MaxTokens, _tokens - t), y + ((nint)t * rows) + (g * Q4_Kx8.Rows), rows);
                }
            }

            return;
        }

        if (w.Type == GgmlType.Q4_0)
        {
            for (int g = r0 / Q4_0x16.Rows; g * Q4_0x16.Rows < r1; g++)
            {
                for (int t = 0; t < _tokens; t += Q4_0x16.RunTokens)
                {
                    Q4_0x16.Run(w.Packed, g, blocks, _q8 + ((nint)t * blocks), blocks, Math.Min(Q4_0x16.RunTokens, _tokens - t), y + ((nint)t * rows) + (g * Q4_0x16.Rows), rows);
                }
            }

            return;
        }

        if (Q8_0x16.IsSupported)
        {
            // The layout RowPacking chose for this process: 16 rows per group, up to 16 tokens per weight load.
            for (int g = r0 / Q8_0x16.Rows; g * Q8_0x16.Rows < r1; g++)
            {
                for (int t = 0; t < _tokens; t += Q8_0x16.MaxTokens)
                {
                    Q8_0x16.Group(w.Packed, g, blocks, _q8 + ((nint)t * blocks), blocks, Math.Min(Q8_0x16.MaxTokens, _tokens - t), y + ((nint)t * rows) + (g * Q8_0x16.Rows), rows);
                }
            }

            return;
        }

        for (int g = r0 / Q8_0x8.Rows; g * Q8_0x8.Rows < r1; g++)
        {
            for (int t = 0; t < _tokens; t += Q8_0x8.MaxTokens)
            {
                Q8_0x8.Group(w.Packed, g, blocks, _q8 + ((nint)t * blocks), blocks, Math.Min(Q8_0x8.MaxTokens, _tokens - t), y + ((nint)t * rows) + (g * Q8_0x8.Rows), rows);
            }
        }
    }

    /// <summary>Integer-dot types against 8-bit activations, 16 tokens at a time so their blocks stay in cache.</summary>
    private void RowRange(in QuantMatrix w, float* y, int r0, int r1)
    {
        int tokens = _tokens;
        int rows = w.Rows;
        int blocks32 = _cols / 32;
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            int t1 = Math.Min(tokens, t0 + TokenTile);
            for (int r = r0; r < r1; r++)
            {
                byte* row = w.Row(r);
                int t = t0;
                if (w.Type is GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K)
                {
                    // Each super-block unpacked once for up to 4 tokens (bit-identical to one token at a time).
                    for (; t < t1; t += 4)
                    {
                        int n = Math.Min(4, t1 - t);
                        Q8Block* a = _q8k + ((nint)t * blocks32);
                        short* sums = _q8kSums + ((nint)t * 2 * blocks32);
                        float* yt = y + ((nint)t * rows) + r;
                        switch (w.Type)
                        {
                            case GgmlType.Q4_K:
                                VecDot.Q4_KTokens(row, a, sums, blocks32, n, blocks32 / 8, yt, rows);
                                break;
                            case GgmlType.Q5_K:
                                VecDot.Q5_KTokens(row, a, sums, blocks32, n, blocks32 / 8, yt, rows);
                                break;
                            default:
                                VecDot.Q6_KTokens(row, a, sums, blocks32, n, blocks32 / 8, yt, rows);
                                break;
                        }
                    }
                }

                else if (w.Type is GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1)
                {
                    // Unpacked once for up to 4 tokens, as the K-quants (Q4_0 and Q8_0 are repacked instead).
                    for (; t < t1; t += 4)
                    {
                        int n = Math.Min(4, t1 - t);
                        Q8Block* a = _q8 + ((nint)t * blocks32);
                        float* yt = y + ((nint)t * rows) + r;
                        switch (w.Type)
                        {
                            case GgmlType.Q4_1:
                                VecDot.Q4_1Tokens(row, a, blocks32, n, blocks32, yt, rows);
                                break;
                            case GgmlType.Q5_0:
                                VecDot.Q5_0Tokens(row, a, blocks32, n, blocks32, yt, rows);
                                break;
                            default:
                                VecDot.Q5_1Tokens(row, a, blocks32, n, blocks32, yt, rows);
                                break;
                        }
                    }
                }

                for (; t < t1; t++)
                {
                    y[((nint)t * rows) + r] = DotQ8(w.Type, row, (w.UsesSuperBlockActivations ? _q8k : _q8) + ((nint)t * blocks32), blocks32);
                }
            }
        }
    }

    /// <summary>Tokens whose quantized activations one pass over a row range reuses (16 × a 4,096-wide row ≈ 70 KB).</summary>
    private const int TokenTile = 16;

    /// <summary>The types dotted one token at a time (Q4_1, Q5_x and the K-quants take their multi-token kernels above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotQ8(GgmlType type, byte* row, Q8Block* a, int blocks)
    {
        return type switch
        {
            GgmlType.Q2_K => VecDot.Q2_K(row, a, blocks / 8),
            GgmlType.Q3_K => VecDot.Q3_K(row, a, blocks / 8),
            GgmlType.Q8_0 => VecDot.Q8_0(row, a, blocks),
            GgmlType.Q4_0 => VecDot.Q4_0(row, a, blocks),
            GgmlType.IQ4_NL => VecDot.IQ4_NL(row, a, blocks),
            GgmlType.MXFP4 => VecDot.MXFP4(row, a, blocks),
            GgmlType.IQ4_XS => VecDot.IQ4_XS(row, a, blocks / 8),
            _ => throw new NotSupportedException($"{type} has no 8-bit-activation kernel"),
        };
    }

    public void Dispose()
    {
        foreach (var p in _scratch)
        {
            NativeMemory.AlignedFree(p);
        }

        _scratch = [];
        NativeMemory.AlignedFree(_xScaledBuffer);
        _xScaledBuffer = null;
        if (_q8k != null)
        {
            NativeMemory.AlignedFree(_q8k);
            _q8k = null;
        }

        NativeMemory.AlignedFree(_q8kSums);
        _q8kSums = null;

        if (_q8 != null)
        {
            NativeMemory.AlignedFree(_q8);
            _q8 = null;
        }
    }
}
