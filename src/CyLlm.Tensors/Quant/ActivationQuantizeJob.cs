using CyLlm.Tensors.Threading;

namespace CyLlm.Tensors.Quant;

/// <summary>Quantizes the activations of a batch to <see cref="Q8Block"/>s on the worker pool, one token row per
/// part (rows are independent, so the blocks are the same as a serial loop's). Before a batched matmul this was a
/// serial stretch the other workers spun through.</summary>
internal sealed unsafe class ActivationQuantizeJob : IParallelJob
{
    public float* X;       // [tokens, Cols]
    public Q8Block* Dst;   // [tokens, Cols / 32]
    public int Cols;

    /// <summary>One scale per 256 (<see cref="ActivationQuantizer.ToQ8K"/>, for K-quant weights) instead of per 32.</summary>
    public bool SuperBlocks;

    /// <summary>With <see cref="SuperBlocks"/>: [tokens, Cols / 16] sums of each 16 quantized values, or null.</summary>
    public short* Sums16;

    public void Execute(int index, int worker)
    {
        if (SuperBlocks)
        {
            ActivationQuantizer.ToQ8K(X + ((nint)index * Cols), Dst + ((nint)index * (Cols / 32)), Sums16 == null ? null : Sums16 + ((nint)index * (Cols / 16)), Cols);
        }
        else
        {
            ActivationQuantizer.ToQ8(X + ((nint)index * Cols), Dst + ((nint)index * (Cols / 32)), Cols);
        }
    }
}
