using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    /// <summary>y[i] += a·x[i] with <paramref name="x"/> in IEEE half (attention over an F16 KV cache).</summary>
    public static void AxpyF16(ushort* x, float a, float* y, int n)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            var va = Vector512.Create(a);
            for (; i + 16 <= n; i += 16)
            {
                Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256((short*)x + i)), va, Avx512F.LoadVector512(y + i)).Store(y + i);
            }
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            var va = Vector256.Create(a);
            for (; i + 8 <= n; i += 8)
            {
                Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128((short*)x + i)), va, Avx.LoadVector256(y + i)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] += a * Fp16.ToFloat(x[i]);
        }
    }
}
