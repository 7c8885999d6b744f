using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Auth;

/// <summary>A key just created: its stored record and the secret, which exists only here (show it once).</summary>
public sealed record IssuedApiKey(ApiKeyRecord Record, string Secret)
{
    /// <summary>Never prints the secret (records print all members by default).</summary>
    public override string ToString() => $"IssuedApiKey {{ Id = {Record.Id}, Prefix = {Record.Prefix} }}";
}
