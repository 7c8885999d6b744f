using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>gate ← silu(gate) ⊙ up over a batch on the worker pool, one token row per part (element-wise, so
/// the result is the serial one). With 16+ tokens the serial form was a stretch the other workers spun through.</summary>
internal sealed unsafe class SwiGluJob : IParallelJob
{
    public float* Gate;    // [tokens, Hidden], rewritten in place
    public float* Up;      // [tokens, Hidden]
    public float* Sig;     // [tokens, Hidden] scratch
    public int Hidden;

    public void Execute(int index, int worker)
    {
        nint o = (nint)index * Hidden;
        Activations.SwiGlu(new Span<float>(Gate + o, Hidden), new ReadOnlySpan<float>(Up + o, Hidden), new Span<float>(Sig + o, Hidden));
    }
}
