namespace CyLlm.Training.Data;

/// <summary>
/// Where a <see cref="DatasetReader"/> is: <paramref name="Epoch"/> (0-based), <paramref name="Row"/>, the
/// rows of that epoch's order already consumed (valid or skipped), and <paramref name="Window"/>, the windows
/// of the next row already yielded (plain text longer than the sequence limit is read as several windows).
/// Stored in checkpoints; reading from it
/// yields exactly the examples that had not been yielded yet, in the same order (for the same file, seed and
/// options).
/// </summary>
public sealed record DatasetPosition(int Epoch, long Row, int Window = 0)
{
    public static DatasetPosition Start { get; } = new(0, 0);
}
