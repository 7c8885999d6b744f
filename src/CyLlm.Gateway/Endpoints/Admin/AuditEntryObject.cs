using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Endpoints.Admin;

/// <summary>One audit row as GET /v1/admin/audit shows it (at in Unix milliseconds, duration in ms).</summary>
public sealed record AuditEntryObject(
    long Id, string Object, long At, string? TraceId, string? KeyPrefix, string? Tenant, string Endpoint, string Method, int Status,
    double DurationMs, long PromptTokens, long CompletionTokens)
{
    public static AuditEntryObject From(AuditRecord r) => new(r.Id, "audit_entry", r.At.ToUnixTimeMilliseconds(), r.TraceId, r.KeyPrefix, r.TenantId,
        r.Endpoint, r.Method, r.Status, r.DurationMs, r.PromptTokens, r.CompletionTokens);
}
