namespace CyLlm.Gateway.Auth;

/// <summary>Scopes an API key may hold. Persisted in the store as these strings: frozen.</summary>
public static class AuthScopes
{
    /// <summary>Chat, completions, embeddings, tokenize, models, files, batches, fine-tuning of the own tenant.</summary>
    public const string Inference = "inference";

    /// <summary>Keys, tenants, adapters, audit rows and server details.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Inference, Admin];
}
