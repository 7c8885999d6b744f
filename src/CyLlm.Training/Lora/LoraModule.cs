using CyLlm.Engine.Lora;
using CyLlm.Training.Model;

namespace CyLlm.Training.Lora;

/// <summary>
/// The trainable low-rank update of one projection: ΔW = Scale · B·A with A [rank, in], B [out, rank] (PEFT and the
/// engine's <see cref="LoraWeights"/> layout). A starts uniform ±1/√in (PEFT's kaiming-uniform bound), B at zero, so
/// the adapted model starts equal to the base.
/// </summary>
public sealed class LoraModule
{
    public LoraModule(string prefix, LoraTarget target, int rank, int inDim, int outDim, float alpha, float dropout, ref TrainingRng rng)
    {
        Target = target;
        Rank = rank;
        Scale = alpha / rank;
        Dropout = dropout;
        A = new Parameter(prefix + ".lora_a", rank, inDim, trainable: true, decay: true);
        B = new Parameter(prefix + ".lora_b", outDim, rank, trainable: true, decay: true);
        float bound = 1f / MathF.Sqrt(inDim);
        for (int i = 0; i < A.Length; i++)
        {
            A.Data[i] = ((2 * rng.NextFloat()) - 1) * bound;
        }
    }

    public LoraTarget Target { get; }
    public int Rank { get; }

    /// <summary>alpha / rank.</summary>
    public float Scale { get; }

    public float Dropout { get; }
    public Parameter A { get; }
    public Parameter B { get; }

    // Saved activations of the last forward: xa = dropout(x)·Aᵀ [rows, rank]; mask [rows, in] (0 or 1/(1−p)) when dropout > 0.
    internal float[] Xa = [];
    internal float[] Mask = [];
    internal float[] Xd = [];
}
