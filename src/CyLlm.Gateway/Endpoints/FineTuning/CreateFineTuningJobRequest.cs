using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>
/// OpenAI's <c>POST /v1/fine_tuning/jobs</c> body, plus CyLlm's <c>lora</c> settings and <c>priority</c>.
/// Hyperparameters may be a number or <c>"auto"</c>, hence <see cref="JsonElement"/>.
/// </summary>
public sealed class CreateFineTuningJobRequest
{
    public string? Model { get; set; }

    public string? TrainingFile { get; set; }

    public string? ValidationFile { get; set; }

    public FineTuningHyperparametersIn? Hyperparameters { get; set; }

    /// <summary>OpenAI's newer form: <c>{"type":"supervised","supervised":{"hyperparameters":{...}}}</c>.</summary>
    public FineTuningMethodIn? Method { get; set; }

    public string? Suffix { get; set; }

    public int? Seed { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>CyLlm: adapter settings; absent = LoRA with defaults.</summary>
    public LoraSettingsIn? Lora { get; set; }

    /// <summary>CyLlm: <c>lora</c> (default) or <c>full</c>.</summary>
    public string? TrainingMethod { get; set; }

    /// <summary>CyLlm: higher starts first; equal priorities start in order of creation.</summary>
    public int? Priority { get; set; }

    /// <summary>CyLlm: stop when validation loss fails to improve by <c>min_delta</c> this many evaluations in a row.</summary>
    public EarlyStoppingIn? EarlyStopping { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
