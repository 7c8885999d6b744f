namespace CyLlm.Training.FineTuning;

/// <summary>A checkpoint the executor wrote atomically (AtomicFile), reported so the store can record it.</summary>
/// <param name="Path">Checkpoint file or folder marker path (the AtomicFile target).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
/// <param name="TrainLoss">Training loss at the checkpoint.</param>
/// <param name="ValidLoss">Validation loss at the checkpoint, if evaluated.</param>
public sealed record FineTuneCheckpoint(long Step, string Path, long SizeBytes, string Sha256, double TrainLoss, double? ValidLoss);
