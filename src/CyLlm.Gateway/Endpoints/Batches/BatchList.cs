namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>OpenAI list of batches, newest first, paged with <c>after</c>.</summary>
public sealed record BatchList(string Object, IReadOnlyList<BatchObject> Data, string? FirstId, string? LastId, bool HasMore);
