using System.Text.Json;
using System.Text.Json.Serialization;
using CyLlm.Gateway.Json;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// Fields chat and text completions share: OpenAI's sampling fields and vLLM's extras. Anything else lands in
/// <see cref="Extra"/> and is rejected naming the field (never silently ignored).
/// </summary>
public abstract class SamplingRequest
{
    public string? Model { get; set; }

    public int? N { get; set; }

    [JsonConverter(typeof(StringOrArrayConverter))]
    public List<string>? Stop { get; set; }

    public long? Seed { get; set; }

    public int? MaxTokens { get; set; }

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public float? PresencePenalty { get; set; }

    public float? FrequencyPenalty { get; set; }

    /// <summary>Token id (as a string key) → bias in [-100, 100].</summary>
    public Dictionary<string, float>? LogitBias { get; set; }

    public bool? Stream { get; set; }

    public StreamOptions? StreamOptions { get; set; }

    public string? User { get; set; }

    // vLLM extras.
    public int? TopK { get; set; }

    public float? MinP { get; set; }

    public float? RepetitionPenalty { get; set; }

    public List<int>? StopTokenIds { get; set; }

    public bool? IgnoreEos { get; set; }

    public int? MinTokens { get; set; }

    /// <summary>Accepted for vLLM compatibility; the single queue is first come, first served.</summary>
    public int? Priority { get; set; }

    // vLLM structured outputs (see StructuredOutput): at most one of these, or chat's response_format.

    /// <summary>A JSON Schema (object, or its JSON text) the output must be valid against.</summary>
    public JsonElement? GuidedJson { get; set; }

    /// <summary>The output is exactly one of these strings.</summary>
    public List<string>? GuidedChoice { get; set; }

    /// <summary>The output fully matches this regex (a practical subset).</summary>
    public string? GuidedRegex { get; set; }

    /// <summary>The output follows this GBNF grammar (llama.cpp syntax, start rule root).</summary>
    public string? GuidedGrammar { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
