namespace CyLlm.Training.Data;

/// <summary>
/// A rendered row: <paramref name="Tokens"/> and <paramref name="LossMask"/> (same length, at most the
/// sequence limit), <paramref name="FullLength"/> the token count before truncation, <paramref name="Targets"/>
/// the mask's true entries from position 1 on (the predictions the loss counts).
/// </summary>
internal sealed record RenderedRow(int[] Tokens, bool[] LossMask, int FullLength, bool Truncated, int Targets);
