namespace CyLlm.Jobs.Storage;

/// <summary>One API call as audited. <paramref name="Id"/> is assigned by the store (0 when appending).</summary>
/// <param name="KeyPrefix">Visible prefix of the API key used (never the key), or null when unauthenticated.</param>
/// <param name="DurationMs">Wall time of the request in milliseconds.</param>
public sealed record AuditRecord(
    long Id,
    DateTimeOffset At,
    string? TraceId,
    string? KeyPrefix,
    string? TenantId,
    string Endpoint,
    string Method,
    int Status,
    double DurationMs,
    long PromptTokens,
    long CompletionTokens);
