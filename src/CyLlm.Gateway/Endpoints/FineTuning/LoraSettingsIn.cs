using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>CyLlm's LoRA settings on a fine-tuning job.</summary>
public sealed class LoraSettingsIn
{
    public int? Rank { get; set; }

    public double? Alpha { get; set; }

    public double? Dropout { get; set; }

    /// <summary>Any of q, k, v, o, gate, up, down.</summary>
    public string[]? TargetModules { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
