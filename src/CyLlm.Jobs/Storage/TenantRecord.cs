namespace CyLlm.Jobs.Storage;

/// <summary>A tenant: the unit of isolation for tasks, files, audit rows and API keys.</summary>
public sealed record TenantRecord(string Id, string Name, DateTimeOffset CreatedAt, bool Disabled);
