namespace CyLlm.Gateway.Endpoints.Models;

/// <summary>
/// OpenAI's <c>model</c> object, with vLLM's <c>max_model_len</c>, <c>root</c> and <c>parent</c> (an adapter's base), and
/// what a client needs to choose a model (Ollama's <c>show</c>): architecture, quantization ("Q4_K_M"), parameter count,
/// capabilities (chat, completions, embeddings, tools, structured_outputs, echo_logprobs, lora), the tool-call format
/// its chat template writes ("hermes", "llama3", "mistral", …; "hermes (fallback)" for a template without tools) and the
/// chat template in use. Fields a backend cannot know are null.
/// </summary>
public sealed record ModelObject(string Id, string Object, long Created, string OwnedBy, int MaxModelLen)
{
    public string? Root { get; init; }

    public string? Parent { get; init; }

    public string? Architecture { get; init; }

    public string? Quantization { get; init; }

    public long? Parameters { get; init; }

    public string[]? Capabilities { get; init; }

    public string? ToolFormat { get; init; }

    public string? ChatTemplate { get; init; }
}
