using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's <c>method</c>: only <c>supervised</c> is trained here.</summary>
public sealed class FineTuningMethodIn
{
    public string? Type { get; set; }

    public FineTuningSupervisedIn? Supervised { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
