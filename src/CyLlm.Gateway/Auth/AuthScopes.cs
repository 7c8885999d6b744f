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

    public static readonly IReadOnlyList<string> All = [Inference, Admin, Metrics];

    /// <summary>Whether holding <paramref name="held"/> grants <paramref name="scope"/>: itself, and admin grants metrics
    /// (admin keys could already read /metrics, and an admin may mint a metrics-only key for its scraper).</summary>
    public static bool Grants(IReadOnlyList<string> held, string scope)
    {
        ArgumentNullException.ThrowIfNull(held);
        return held.Contains(scope, StringComparer.Ordinal) || (scope == Metrics && held.Contains(Admin, StringComparer.Ordinal));
    }
}
