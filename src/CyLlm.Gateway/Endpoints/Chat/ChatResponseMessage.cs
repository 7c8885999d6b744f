namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>The assistant message of a choice.</summary>
public sealed record ChatResponseMessage(string Role, string Content);
