using System.Text.Json;
using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Endpoints.Adapters;

/// <summary>vLLM's POST /v1/load_lora_adapter and /v1/unload_lora_adapter body.</summary>
public sealed class LoadAdapterRequest
{
    public string? LoraName { get; set; }

    /// <summary>A PEFT folder or a GGUF LoRA file on the server (load only).</summary>
    public string? LoraPath { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
