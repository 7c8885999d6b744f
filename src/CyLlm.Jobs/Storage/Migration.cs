namespace CyLlm.Jobs.Storage;

/// <summary>One schema step: applied once, in a transaction, and recorded in schema_migrations(version, name, applied_at).</summary>
public sealed record Migration(int Version, string Name, IReadOnlyList<string> Statements);
