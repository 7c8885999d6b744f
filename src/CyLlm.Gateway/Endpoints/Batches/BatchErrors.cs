namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>OpenAI batch <c>errors</c>: why the batch failed (e.g. the input line at fault).</summary>
public sealed record BatchErrors(string Object, IReadOnlyList<BatchErrorItem> Data);
