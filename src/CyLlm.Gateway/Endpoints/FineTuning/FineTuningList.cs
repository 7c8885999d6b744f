namespace CyLlm.Gateway.Endpoints.FineTuning;

/// <summary>OpenAI's cursor list: <c>{"object":"list","data":[...],"has_more":...}</c>.</summary>
public sealed record FineTuningList<T>(string Object, IReadOnlyList<T> Data, bool HasMore, string? FirstId, string? LastId);
