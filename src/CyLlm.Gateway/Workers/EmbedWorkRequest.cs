using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Workers;

/// <summary>Gateway → engine worker (<c>POST /internal/workers/embed</c>): one input's token ids, tokenized by the gateway.</summary>
public sealed record EmbedWorkRequest
{
    [JsonPropertyName("tokens")]
    public int[] Tokens { get => _tokens; init => _tokens = value ?? []; }

    private readonly int[] _tokens = [];
}
