using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>A known key that authentication refused (revoked, expired, past grace, disabled tenant): its prefix and
/// tenant go into the audit row of the refused request, so a tenant sees attempts with its old keys.</summary>
public sealed record RejectedKey(string KeyPrefix, string TenantId)
{
    private const string ItemKey = "cyllm.rejected-key";

    public static void Set(HttpContext ctx, string prefix, string tenantId) => ctx.Items[ItemKey] = new RejectedKey(prefix, tenantId);

    public static RejectedKey? Get(HttpContext ctx) => ctx.Items.TryGetValue(ItemKey, out var v) ? v as RejectedKey : null;
}
