using CyLlm.Tensors;
using CyLlm.Tensors.Threading;

namespace CyLlm.Engine.Execution;

/// <summary>gate ← silu(gate) ⊙ up (or Gemma's gelu_tanh(gate) ⊙ up with <see cref="Gelu"/>, or gpt-oss's clamped
/// SwiGLU with <see cref="Limit"/>) over a batch on the
/// worker pool, one token row per part (element-wise, so the result is the serial one). With 16+ tokens the serial
/// form was a stretch the other workers spun through.</summary>
internal sealed unsafe class SwiGluJob : IParallelJob
{
    public float* Gate;    // [tokens, Hidden], rewritten in place
    public float* Up;      // [tokens, Hidden]
    public float* Sig;     // [tokens, Hidden] scratch
    public int Hidden;
    public bool Gelu;
    public float Limit;    // > 0: gpt-oss's clamped SwiGLU with Alpha (Activations.SwiGluClamped)
    public float Alpha;

    public void Execute(int index, int worker)
    {
        nint o = (nint)index * Hidden;
        if (Limit > 0)
        {
            Activations.SwiGluClamped(new Span<float>(Gate + o, Hidden), new ReadOnlySpan<float>(Up + o, Hidden), new Span<float>(Sig + o, Hidden), Alpha, Limit);
        }
        else if (Gelu)
        {
            Activations.GeGlu(new Span<float>(Gate + o, Hidden), new ReadOnlySpan<float>(Up + o, Hidden), new Span<float>(Sig + o, Hidden));
        }
        else
        {
            Activations.SwiGlu(new Span<float>(Gate + o, Hidden), new ReadOnlySpan<float>(Up + o, Hidden), new Span<float>(Sig + o, Hidden));
        }
    }
}
