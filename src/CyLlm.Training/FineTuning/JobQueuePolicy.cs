namespace CyLlm.Training.FineTuning;

/// <summary>
/// Which waiting job starts next: the highest priority, then the earliest created (by time, then by the store's
/// creation sequence for jobs of the same clock tick), then the smallest id (so the choice is total and every worker
/// agrees on it).
/// </summary>
public static class JobQueuePolicy
{
    /// <summary>Orders jobs in start order (first = next to run). Stable and total.</summary>
    public static int Compare(QueuedJob a, QueuedJob b)
    {
        int c = b.Priority.CompareTo(a.Priority);
        if (c != 0)
        {
            return c;
        }

        c = a.CreatedAt.CompareTo(b.CreatedAt);
        if (c != 0)
        {
            return c;
        }

        c = a.Sequence.CompareTo(b.Sequence);
        return c != 0 ? c : string.CompareOrdinal(a.JobId, b.JobId);
    }

    /// <summary>The jobs in start order.</summary>
    public static List<QueuedJob> Order(IEnumerable<QueuedJob> jobs)
    {
        var list = new List<QueuedJob>(jobs);
        list.Sort(Compare);
        return list;
    }
}
