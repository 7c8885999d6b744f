namespace CyLlm.Gateway.Errors;

/// <summary>
/// A failure the client should see as an OpenAI error object. Thrown anywhere below a handler; the error
/// middleware writes it as <c>{"error":{"message","type","param","code"}}</c> with <see cref="Status"/>.
/// </summary>
public sealed class ApiError : Exception
{
    public ApiError(int status, string code, string message, string? param = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Param = param;
    }

    /// <summary>HTTP status code (400, 401, 404, 413, 429, 500, 503, 504).</summary>
    public int Status { get; }

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The request field at fault (JSON path such as <c>messages[0].content</c>), or null.</summary>
    public string? Param { get; }

    /// <summary>Extra response headers (rate-limit headers, Retry-After); written after the defaults, so they win.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The bad rows of an uploaded file (at most <c>FileUploadHandler.MaxRowErrors</c>), written as
    /// <c>error.row_errors</c>; null for every other error, which then has no such field.</summary>
    public IReadOnlyList<RowError>? RowErrors { get; init; }

    /// <summary>The OpenAI error "type" for this status.</summary>
    public string Type => ErrorCodes.TypeFor(Status);

    public static ApiError BadRequest(string message, string? param = null) =>
        new(400, ErrorCodes.InvalidRequest, $"{message}. Fix: correct '{param ?? "the request"}' and retry", param);

    public static ApiError Unsupported(string param) =>
        new(400, ErrorCodes.InvalidRequest, $"Unrecognized or unsupported request argument supplied: {param}. Fix: remove '{param}' from the request; this server does not support it", param);
}
