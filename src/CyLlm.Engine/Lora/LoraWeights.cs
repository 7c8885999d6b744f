namespace CyLlm.Engine.Lora;

/// <summary>
/// One adapted projection: ΔW = scale · B·A with A row-major [rank, in] and B row-major [out, rank], so
/// y += scale · B·(A·x). Kept in float (adapters are small).
/// </summary>
public sealed record LoraWeights(float[] A, float[] B, int Rank, int In, int Out);
