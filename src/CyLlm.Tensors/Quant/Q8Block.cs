using System.Runtime.InteropServices;

namespace CyLlm.Tensors.Quant;

/// <summary>
/// One block of 32 activations quantized to int8 for integer dot products against Q8_0, Q4_0, Q4_1,
/// Q5_0 and Q5_1 weights (ggml's block_q8_0/q8_1 with the scale kept as float and the sum precomputed).
/// 40 bytes: scale d (rounded through f16 exactly as ggml stores it), Σq, q[32].
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public unsafe struct Q8Block
{
    public const int Size = 40;

    /// <summary>Scale: value ≈ q * D.</summary>
    public float D;

    /// <summary>Sum of the 32 quantized values (used to fold weight offsets such as Q4_0's −8).</summary>
    public int Sum;

    public fixed sbyte Q[32];
}
