using BenchmarkDotNet.Attributes;
using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Benchmarks;

/// <summary>
/// y = W·x on the shapes of the `small` synthetic model's FFN (2048×768), per weight type: one token
/// (decode, memory-bound) and 128 tokens (prompt processing, compute-bound), on 2 threads.
/// </summary>
[MemoryDiagnoser]
public unsafe class MatMulBenchmarks
{
    private const int Rows = 2048, Cols = 768;
    private WorkerPool _pool = null!;
    private MatMul _mm = null!;
    private byte[] _w = [];
    private float[] _x = [];
    private float[] _y = [];

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K)]
    public GgmlType Type { get; set; }

    [Params(1, 128)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _w = new byte[GgmlTypeInfo.RowBytes(Type, Cols) * Rows];
        rng.NextBytes(_w);
        int bb = GgmlTypeInfo.BlockBytes(Type);
        if (Type is GgmlType.F32)
        {
            for (int i = 0; i < _w.Length / 4; i++)
            {
                BitConverter.TryWriteBytes(_w.AsSpan(i * 4), (float)rng.NextDouble());
            }
        }
        else if (Type is GgmlType.F16)
        {
            for (int i = 0; i < _w.Length / 2; i++)
            {
                BitConverter.TryWriteBytes(_w.AsSpan(i * 2), Fp16.FromFloat((float)rng.NextDouble()));
            }
        }
        else
        {
            int scaleAt = Type == GgmlType.Q6_K ? 208 : 0;
            for (int off = 0; off < _w.Length; off += bb)
            {
                BitConverter.TryWriteBytes(_w.AsSpan(off + scaleAt), Fp16.FromFloat(0.01f));
            }
        }

        _x = Enumerable.Range(0, Tokens * Cols).Select(_ => (float)rng.NextDouble()).ToArray();
        _y = new float[Tokens * Rows];
        _pool = new WorkerPool(2);
        _mm = new MatMul(_pool);
    }

    [Benchmark]
    public void MatMul()
    {
        fixed (byte* w = _w)
        fixed (float* x = _x, y = _y)
        {
            var m = new QuantMatrix(Type, Rows, Cols, w);
            _mm.Run(in m, x, Tokens, y);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mm.Dispose();
        _pool.Dispose();
    }
}
