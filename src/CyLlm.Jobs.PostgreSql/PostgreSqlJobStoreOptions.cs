using CyLlm.Jobs.Storage;

namespace CyLlm.Jobs.PostgreSql;

/// <summary>Settings of a <see cref="PostgreSqlJobStore"/>.</summary>
public sealed record PostgreSqlJobStoreOptions : JobStoreOptions
{
    public PostgreSqlJobStoreOptions(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ConnectionString = connectionString;
    }

    /// <summary>Npgsql connection string, e.g. <c>Host=db;Username=cyllm;Password=...;Database=cyllm</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Schema holding the tables (created if missing, then used as the search path); null uses the connection's default.
    /// Lower-case letters, digits and underscores only. Lets several deployments (or test runs) share one database.
    /// </summary>
    public string? SchemaName { get; init; }
}
