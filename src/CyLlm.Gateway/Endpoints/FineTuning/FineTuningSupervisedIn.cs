using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

public sealed class FineTuningSupervisedIn
{
    public FineTuningHyperparametersIn? Hyperparameters { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
