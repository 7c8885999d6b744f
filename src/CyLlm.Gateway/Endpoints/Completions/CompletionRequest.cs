using System.Text.Json;
using CyLlm.Gateway.Endpoints.Shared;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>The body of POST /v1/completions (the legacy text API).</summary>
public sealed class CompletionRequest : SamplingRequest
{
    /// <summary>A string, an array of one string, an array of token ids, or an array of one such array.</summary>
    public JsonElement? Prompt { get; set; }

    /// <summary>Number of top alternatives per position (0 = only the chosen token's logprob).</summary>
    public int? Logprobs { get; set; }

    /// <summary>Only false is supported.</summary>
    public bool? Echo { get; set; }

    /// <summary>Only 1 is supported.</summary>
    public int? BestOf { get; set; }

    /// <summary>Insertion is not supported; must be absent or null.</summary>
    public string? Suffix { get; set; }
}
