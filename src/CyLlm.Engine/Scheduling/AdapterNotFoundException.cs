namespace CyLlm.Engine.Scheduling;

/// <summary>A request named an adapter that is not loaded (OpenAI code model_not_found).</summary>
public sealed class AdapterNotFoundException(string name)
    : ArgumentException($"the adapter '{name}' is not loaded; load it with POST /v1/load_lora_adapter or use the base model")
{
    public string AdapterName { get; } = name;
}
