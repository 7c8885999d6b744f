using CyLlm.Jobs.Batches;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>
/// OpenAI <c>batch</c> object. Times are Unix seconds, null until the batch reached that stage (taken from the task's
/// event history, so they agree with the Tasks API by construction).
/// </summary>
public sealed record BatchObject(
    string Id,
    string Object,
    string Endpoint,
    BatchErrors? Errors,
    string InputFileId,
    string CompletionWindow,
    string Status,
    string? OutputFileId,
    string? ErrorFileId,
    long CreatedAt,
    long? InProgressAt,
    long ExpiresAt,
    long? FinalizingAt,
    long? CompletedAt,
    long? FailedAt,
    long? ExpiredAt,
    long? CancellingAt,
    long? CancelledAt,
    BatchRequestCounts RequestCounts,
    Dictionary<string, string>? Metadata);
