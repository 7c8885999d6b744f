using System.Diagnostics;

namespace CyLlm.Training.Data;

/// <summary>
/// One tokenized training sequence, the contract between the dataset readers and the trainer.
/// <paramref name="Tokens"/> are the ids of the whole rendered row (chat template applied, BOS included);
/// <paramref name="LossMask"/> has one entry per token, true where the token is a target the loss counts
/// (assistant/output tokens; every token for plain text). The trainer predicts Tokens[i + 1] from Tokens[..i],
/// so the mask entry of position i + 1 decides whether that prediction contributes.
/// </summary>
/// <param name="SourceLine">1-based line (JSONL/CSV) or row index (JSON array, Parquet) of the row it came from.</param>
public sealed record TrainingExample(int[] Tokens, bool[] LossMask, long SourceLine)
{
    /// <summary>
    /// For a packed sequence (<see cref="SequencePacker"/>): the start position of each example in it, ascending,
    /// the first 0; null for a single example. Attention should not cross these boundaries (block-diagonal causal
    /// mask, positions restarting at each start); the mask entry at each start is false, so even a trainer that
    /// attends across them never learns to predict one example from the one before.
    /// </summary>
    public int[]? ExampleStarts { get; init; }

    public TrainingExample Validate()
    {
        Debug.Assert(Tokens.Length == LossMask.Length);
        if (Tokens.Length != LossMask.Length)
        {
            throw new ArgumentException($"tokens ({Tokens.Length}) and loss mask ({LossMask.Length}) differ in length");
        }

        return this;
    }
}
