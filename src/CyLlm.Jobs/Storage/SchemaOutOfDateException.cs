namespace CyLlm.Jobs.Storage;

/// <summary>The database schema is not the version this build needs; the message names the command that fixes it.</summary>
public sealed class SchemaOutOfDateException : JobStoreException
{
    public SchemaOutOfDateException(string location, int actual, int expected)
        : base(Describe(location, actual, expected))
    {
        ActualVersion = actual;
        ExpectedVersion = expected;
    }

    public int ActualVersion { get; }

    public int ExpectedVersion { get; }

    /// <summary>The one-line explanation used by the exception and by the health check.</summary>
    public static string Describe(string location, int actual, int expected) => actual < expected
        ? $"database {location} has schema version {actual} but this build needs {expected}; run `cyllm migrate` to upgrade it"
        : $"database {location} has schema version {actual}, newer than this build's {expected}; upgrade cyllm (do not downgrade a migrated database)";
}
