using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>Each value is a number or the string <c>"auto"</c>.</summary>
public sealed class FineTuningHyperparametersIn
{
    public JsonElement? NEpochs { get; set; }

    public JsonElement? BatchSize { get; set; }

    public JsonElement? LearningRateMultiplier { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
