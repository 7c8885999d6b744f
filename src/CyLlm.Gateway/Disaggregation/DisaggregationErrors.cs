using CyLlm.Engine.Disaggregation;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>The errors a client gets when its request's KV transfer failed or a worker could not serve it (docs/errors.md).</summary>
public static class DisaggregationErrors
{
    public const string KvTransferFailed = "kv_transfer_failed";

    /// <summary>A decode worker could not enforce a grammar the router accepted (a version mismatch between them).</summary>
    public const string GrammarRejected = "worker_grammar_rejected";

    public static ApiError From(KvTransferException ex) => new(502, KvTransferFailed,
        $"{ex.Message}. Fix: retry the request (the failed worker is avoided for a while), or enable co-located fallback");
}
