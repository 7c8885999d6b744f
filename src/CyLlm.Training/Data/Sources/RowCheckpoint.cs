namespace CyLlm.Training.Data.Sources;

/// <summary>
/// Where a row starts, so a source can restart there: <paramref name="Row"/> is the 0-based row index in file
/// order, <paramref name="Offset"/> the byte offset of the row's first byte (JSONL, CSV, JSON array element) or
/// the row group number (Parquet), <paramref name="Line"/> the 1-based line the row starts on (for Parquet the
/// row's index inside its row group).
/// </summary>
internal readonly record struct RowCheckpoint(long Row, long Offset, long Line)
{
    public static RowCheckpoint Start => new(0, 0, 1);
}
