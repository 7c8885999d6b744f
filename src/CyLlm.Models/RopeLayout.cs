namespace CyLlm.Models;

/// <summary>Which pairs of a head's dimensions RoPE rotates together.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1): GGUF "llama" (Q/K permuted by the converter) and llama2.c.</summary>
    Interleaved = 0,

    /// <summary>Pairs (i, i + d/2): Hugging Face checkpoints and GGUF NEOX-style architectures (qwen2).</summary>
    HalfSplit = 1,
}
