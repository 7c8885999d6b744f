namespace CyLlm.Jobs.Storage;

/// <summary>What opening a store does about the schema.</summary>
public enum SchemaMode
{
    /// <summary>Apply pending migrations (default for <c>cyllm serve</c> and workers).</summary>
    Migrate,

    /// <summary>Throw <see cref="SchemaOutOfDateException"/> unless the schema is exactly current.</summary>
    Verify,

    /// <summary>Touch nothing (health checks, <c>cyllm doctor</c>, inspection).</summary>
    None,
}
