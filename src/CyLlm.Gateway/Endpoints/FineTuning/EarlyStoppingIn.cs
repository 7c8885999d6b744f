using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

public sealed class EarlyStoppingIn
{
    public int? Patience { get; set; }

    public double? MinDelta { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
