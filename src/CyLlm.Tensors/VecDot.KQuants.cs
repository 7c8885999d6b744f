using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

public static unsafe partial class VecDot
{
    // K-quant rows (Q4_K, Q5_K, Q6_K; 256-element super-blocks) dot float activations: each super-block is
    // decoded into a stack buffer and dotted with the vector F32 kernel. This keeps the activations in full
    // precision (ggml quantizes them to Q8_K); an integer Q8_K path is the next step for speed.

    /// <summary>Σ over <paramref name="blocks"/> K-quant super-blocks of <paramref name="type"/> · float activations.</summary>
    public static float KQuant(GgmlType type, byte* w, float* x, int blocks)
    {
        float* buf = stackalloc float[256];
        float sum = 0;
        int bytes = GgmlTypeInfo.BlockBytes(type);
        for (int b = 0; b < blocks; b++, w += bytes, x += 256)
        {
            DecodeKBlock(type, w, buf);
            sum += F32(buf, x, 256);
        }

        return sum;
    }

    public static double KQuantReference(GgmlType type, byte* w, float* x, int blocks)
    {
        float* buf = stackalloc float[256];
        double sum = 0;
        int bytes = GgmlTypeInfo.BlockBytes(type);
        for (int b = 0; b < blocks; b++, w += bytes, x += 256)
        {
            DecodeKBlock(type, w, buf);
            sum += F32Reference(buf, x, 256);
        }

        return sum;
    }

    private static void DecodeKBlock(GgmlType type, byte* w, float* buf)
    {
        switch (type)
        {
            case GgmlType.Q4_K:
                Dequantize.Q4KBlock(w, buf);
                break;
            case GgmlType.Q5_K:
                Dequantize.Q5KBlock(w, buf);
                break;
            case GgmlType.Q6_K:
                Dequantize.Q6KBlock(w, buf);
                break;
            default:
                throw new NotSupportedException($"{type} is not a K-quant");
        }
    }
}
