using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>The error a client gets when its request's KV transfer failed (docs/errors.md).</summary>
public static class DisaggregationErrors
{
    public const string KvTransferFailed = "kv_transfer_failed";

    public static ApiError From(KvTransferException ex) => new(502, KvTransferFailed,
        $"{ex.Message}. Fix: retry the request (the failed worker is avoided for a while), or enable co-located fallback");
}
