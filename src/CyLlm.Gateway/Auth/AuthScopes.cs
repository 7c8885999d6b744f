namespace CyLlm.Gateway.Auth;

/// <summary>Scopes an API key may hold. Persisted in the store as these strings: frozen.</summary>
public static class AuthScopes
{
    /// <summary>Chat, completions, embeddings, tokenize, models, files, batches, fine-tuning of the own tenant.</summary>
    public const string Inference = "inference";

    /// <summary>Keys, tenants, adapters, audit rows and server details; implies <see cref="Metrics"/>.</summary>
    public const string Admin = "admin";

    /// <summary>Reading <c>/metrics</c> only: what a Prometheus scraper needs, without admin rights.</summary>
    public const string Metrics = "metrics";

    /// <summary>The internal disaggregation and engine-worker routes (<c>/internal/disaggregation/*</c>,
    /// <c>/internal/workers/*</c>) only: the key a router or a gateway with <c>--workers</c> sends to its workers (<c>--worker-api-key</c>). Those routes take raw token ids and no model name, so they
    /// bypass the per-model allow-lists; an inference key must not reach them, and a worker key reaches nothing else.</summary>
    public const string Worker = "worker";

    public static readonly IReadOnlyList<string> All = [Inference, Admin, Metrics, Worker];

    /// <summary>Whether holding <paramref name="held"/> grants <paramref name="scope"/>: itself, and admin grants metrics
    /// (admin keys could already read /metrics, and an admin may mint a metrics-only key for its scraper).</summary>
    public static bool Grants(IReadOnlyList<string> held, string scope)
    {
        ArgumentNullException.ThrowIfNull(held);
        return held.Contains(scope, StringComparer.Ordinal) || (scope == Metrics && held.Contains(Admin, StringComparer.Ordinal));
    }
}
