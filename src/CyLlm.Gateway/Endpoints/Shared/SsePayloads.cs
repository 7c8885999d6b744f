namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Several SSE events for one token (e.g. a tool call's header chunk and its arguments chunk).</summary>
public sealed record SsePayloads(IReadOnlyList<object> Items);
