namespace CyLlm.ChatTemplates;

/// <summary>
/// One turn of a conversation as the template sees it: <c>{"role": Role, "content": Content}</c>, plus
/// <c>"name"</c> when <see cref="Name"/> is set (e.g. the participant or tool name some templates print).
/// </summary>
public sealed record ChatMessage(string Role, string Content, string? Name = null);
