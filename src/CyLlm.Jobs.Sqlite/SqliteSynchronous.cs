namespace CyLlm.Jobs.Sqlite;

/// <summary>SQLite <c>PRAGMA synchronous</c> levels the store accepts (values are SQLite's own).</summary>
public enum SqliteSynchronous
{
    /// <summary>WAL is fsynced only at checkpoints: survives a process crash (kill -9) but a power loss may drop the last commits.</summary>
    Normal = 1,

    /// <summary>WAL is fsynced at every commit: an acknowledged write survives power loss too. The default.</summary>
    Full = 2,
}
