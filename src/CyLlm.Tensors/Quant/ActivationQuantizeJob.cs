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

    public void Execute(int index, int worker) =>
        ActivationQuantizer.ToQ8(X + ((nint)index * Cols), Dst + ((nint)index * (Cols / 32)), Cols);
}
