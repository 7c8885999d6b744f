namespace CyLlm.Jobs.Storage;

/// <summary>
/// The durable answer to one batch input line. (batch, line) is unique, so a line is answered at most once; a resumed
/// batch skips every line that has a row here.
/// </summary>
/// <param name="LineIndex">0-based index of the request among the input's non-empty lines.</param>
/// <param name="StatusCode">HTTP status of the answer (0 when the request never produced one).</param>
/// <param name="ResponseBody">Response body JSON, or null when the line failed without a response.</param>
/// <param name="ErrorCode">Set when the line failed (non-2xx or executor error).</param>
public sealed record BatchLineResult(
    TaskId BatchId,
    int LineIndex,
    string CustomId,
    int StatusCode,
    string? ResponseBody,
    string? ErrorCode,
    string? ErrorMessage,
    DateTimeOffset CompletedAt)
{
    public bool Succeeded => ErrorCode is null && StatusCode is >= 200 and < 300;
}
