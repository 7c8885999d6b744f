namespace CyLlm.Gateway.Endpoints.Models;

/// <summary>OpenAI's <c>model</c> object, with vLLM's max_model_len.</summary>
public sealed record ModelObject(string Id, string Object, long Created, string OwnedBy, int MaxModelLen);
