namespace CyLlm.Training.Data.Sources;

/// <summary>
/// One row as a source read it, before schema checks: either a read error, or the row's fields
/// (<see cref="View"/>). Sources reuse their buffers and dispose each row when the enumeration moves on: a
/// RawRow is valid only until then. <see cref="Fatal"/> marks an error after which the source cannot go on
/// (the enumeration ends).
/// </summary>
internal sealed class RawRow : IDisposable
{
    private IDisposable? _owner;

    public RawRow(RowCheckpoint at, RowView? view, DatasetRowError? error, bool fatal = false, IDisposable? owner = null)
    {
        At = at;
        View = view;
        Error = error;
        Fatal = fatal;
        _owner = owner;
    }

    public RowCheckpoint At { get; }

    public RowView? View { get; }

    public DatasetRowError? Error { get; }

    public bool Fatal { get; }

    public void Dispose()
    {
        View?.Dispose();
        _owner?.Dispose();
        _owner = null;
    }
}
