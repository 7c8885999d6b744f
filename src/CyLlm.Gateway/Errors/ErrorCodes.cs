namespace CyLlm.Gateway.Errors;

/// <summary>The string codes of error objects; documented in docs/errors.md with their meaning and fix.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string InvalidApiKey = "invalid_api_key";
    public const string ModelNotFound = "model_not_found";
    public const string ContextLengthExceeded = "context_length_exceeded";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string ServerOverloaded = "server_overloaded";
    public const string Timeout = "timeout";
    public const string RequestTooLarge = "request_too_large";
    public const string ServerError = "server_error";
    public const string NotFound = "not_found";
    public const string InsufficientScope = "insufficient_scope";
    public const string IdempotencyKeyConflict = "idempotency_key_conflict";
    public const string IdempotencyKeyInProgress = "idempotency_key_in_progress";
    public const string ForbiddenOrigin = "forbidden_origin";
    public const string AdapterQuotaExceeded = "adapter_quota_exceeded";
    public const string InsufficientMemory = "insufficient_memory";

    /// <summary>All codes, for the documentation test.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        InvalidRequest, InvalidApiKey, ModelNotFound, ContextLengthExceeded, RateLimitExceeded, ServerOverloaded, Timeout, RequestTooLarge, ServerError, NotFound, InsufficientScope, IdempotencyKeyConflict, IdempotencyKeyInProgress, ForbiddenOrigin,
        AdapterQuotaExceeded, InsufficientMemory,
    ];

    /// <summary>OpenAI's error "type" by HTTP status.</summary>
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
