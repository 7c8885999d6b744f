namespace CyLlm.Jobs.Storage;

/// <summary>
/// What a start-up health check needs to know about the store, read through one fresh connection.
/// </summary>
/// <param name="JournalMode">SQLite journal mode (<c>wal</c> expected); null for servers without one.</param>
/// <param name="BusyTimeoutMs">SQLite busy timeout of a fresh connection; null for servers without one.</param>
/// <param name="SchemaVersion">Highest applied migration (0 for an empty database).</param>
/// <param name="ExpectedSchemaVersion">Migration level this build needs.</param>
/// <param name="MissingTables">Required tables that do not exist.</param>
/// <param name="DataDirectory">Folder holding the database (SQLite), for the free-disk check; null for servers.</param>
/// <param name="Location">Where the store lives, for messages (file path, or host/database/schema).</param>
public sealed record StoreHealthInfo(
    string Provider,
    string? JournalMode,
    int? BusyTimeoutMs,
    int SchemaVersion,
    int ExpectedSchemaVersion,
    IReadOnlyList<string> MissingTables,
    string? DataDirectory,
    string Location);
