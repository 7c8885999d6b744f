namespace CyLlm.Models;

/// <summary>Model families the engine runs. Values are persisted in caches and manifests: frozen.</summary>
public enum ModelArchitecture
{
    /// <summary>Llama 1/2/3, TinyLlama, SmolLM2, Mistral (without sliding window).</summary>
    Llama = 0,

    /// <summary>Qwen2 / Qwen2.5: Llama with biases on the Q, K and V projections.</summary>
    Qwen2 = 1,
}
