using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>A tenant as the admin API shows it (created_at in Unix seconds).</summary>
public sealed record TenantObject(string Id, string Object, string Name, long CreatedAt, bool Disabled)
{
    public static TenantObject From(TenantRecord t) => new(t.Id, "tenant", t.Name, t.CreatedAt.ToUnixTimeSeconds(), t.Disabled);
}
