using CyLlm.Tensors;

namespace CyLlm.Tensors.Tests;

/// <summary>Random but valid quantized rows for kernel tests (finite f16 scales, any bit pattern elsewhere).</summary>
internal static class QuantTestData
{
    public static byte[] RandomRow(GgmlType type, int elements, Random rng)
    {
        long bytes = GgmlTypeInfo.RowBytes(type, elements);
        var data = new byte[bytes];
        rng.NextBytes(data);
        int bb = GgmlTypeInfo.BlockBytes(type);
        for (long off = 0; off < bytes; off += bb)
        {
            switch (type)
            {
                case GgmlType.F32:
                    BitConverter.TryWriteBytes(data.AsSpan((int)off), (float)(rng.NextDouble() * 2 - 1));
                    break;
                case GgmlType.F16:
                    WriteHalf(data, off, (float)(rng.NextDouble() * 2 - 1));
                    break;
                case GgmlType.BF16:
                    BitConverter.TryWriteBytes(data.AsSpan((int)off), Fp16.FloatToBF16((float)(rng.NextDouble() * 2 - 1)));
                    break;
                case GgmlType.Q8_0:
                case GgmlType.Q4_0:
                case GgmlType.Q5_0:
                    WriteHalf(data, off, Scale(rng));
                    if (type == GgmlType.Q8_0)
                    {
                        // ggml's quantizer never writes −128.
                        for (int j = 0; j < 32; j++)
                        {
                            if (data[off + 2 + j] == 0x80)
                            {
                                data[off + 2 + j] = 0x81;
                            }
                        }
                    }

                    break;
                case GgmlType.Q4_1:
                case GgmlType.Q5_1:
                case GgmlType.Q4_K:
                case GgmlType.Q5_K:
                    WriteHalf(data, off, Scale(rng));
                    WriteHalf(data, off + 2, Scale(rng));
                    break;
                case GgmlType.Q6_K:
                    WriteHalf(data, off + 208, Scale(rng));
                    break;
                case GgmlType.Q2_K:
                    WriteHalf(data, off + 80, Scale(rng));
                    WriteHalf(data, off + 82, Scale(rng));
                    break;
                case GgmlType.Q3_K:
                    WriteHalf(data, off + 108, Scale(rng));
                    break;
                case GgmlType.IQ4_NL:
                case GgmlType.IQ4_XS:
                    WriteHalf(data, off, Scale(rng));
                    break;
                case GgmlType.MXFP4:
                    data[off] = (byte)rng.Next(118, 128);   // E8M0 scales 2^−10 .. 2^−1
                    break;
            }
        }

        return data;
    }

    private static float Scale(Random rng) => (float)((rng.NextDouble() * 2 - 1) * 0.05);

    public static void WriteHalf(byte[] data, long off, float v) =>
        BitConverter.TryWriteBytes(data.AsSpan((int)off), Fp16.FromFloat(v));

    public static float[] RandomFloats(int n, Random rng, double range = 1)
    {
        var f = new float[n];
        for (int i = 0; i < n; i++)
        {
            f[i] = (float)((rng.NextDouble() * 2 - 1) * range);
        }

        return f;
    }
}
