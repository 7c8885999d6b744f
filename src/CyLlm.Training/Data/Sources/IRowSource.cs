namespace CyLlm.Training.Data.Sources;

/// <summary>Reads the rows of one dataset file in file order, from the start or from a checkpoint.</summary>
internal interface IRowSource : IDisposable
{
    DatasetFormat Format { get; }

    /// <summary>How errors locate rows: line numbers (JSONL, CSV, JSON arrays) and/or row indexes.</summary>
    bool HasLines { get; }

    /// <summary>Whether a read may restart at <paramref name="at"/> (Parquet only at row group starts).</summary>
    bool CanStartAt(RowCheckpoint at);

    /// <summary>Rows from <paramref name="start"/> to the end; seeking needs a seekable stream unless it is the start.</summary>
    IEnumerable<RawRow> ReadFrom(RowCheckpoint start);
}
