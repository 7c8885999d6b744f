namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL suites (store conformance, blobs) run one after another: each test opens its own pooled stores, and
/// the two suites at once exhausted the server's 100 connection slots ("remaining connection slots are reserved"),
/// failing every later test in the run.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection
{
    public const string Name = "postgresql";
}
