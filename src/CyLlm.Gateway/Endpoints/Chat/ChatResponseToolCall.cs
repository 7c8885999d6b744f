namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>A tool call of a response message: <c>{"id", "type": "function", "function": {"name", "arguments"}}</c>.</summary>
public sealed record ChatResponseToolCall(string Id, string Type, ChatFunctionCall Function);
