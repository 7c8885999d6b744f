namespace CyLlm.Training.Data;

/// <summary>How a <see cref="DatasetReader"/> orders and cuts rows.</summary>
public sealed record DatasetReaderOptions
{
    /// <summary>Rows longer than this many tokens are cut to it (plain text: split, see <see cref="SplitLongText"/>).</summary>
    public int MaxSequenceLength { get; init; } = 2048;

    /// <summary>
    /// Plain-text rows longer than the limit become consecutive windows of at most <see cref="MaxSequenceLength"/>
    /// tokens instead of being cut, so pretraining uses the whole corpus. Conversations are always cut.
    /// </summary>
    public bool SplitLongText { get; init; } = true;

    /// <summary>Null reads in file order; a seed gives a deterministic shuffle that differs per epoch.</summary>
    public ulong? ShuffleSeed { get; init; }

    /// <summary>
    /// Rows per shuffle block: the order is a shuffle of blocks of consecutive rows, then a shuffle inside each
    /// block, so a block is read sequentially and memory holds one block. Parquet blocks also end at row groups.
    /// </summary>
    public int BlockRows { get; init; } = 1024;

    /// <summary>Bytes one row may take in the file.</summary>
    public int MaxRowBytes { get; init; } = 16 * 1024 * 1024;
}
