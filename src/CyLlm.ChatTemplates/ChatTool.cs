using System.Text.Json;

namespace CyLlm.ChatTemplates;

/// <summary>
/// A function the model may call (an OpenAI <c>tools</c> entry). Templates see
/// <c>{"type": "function", "function": {"name", "description", "parameters"}}</c>, the keys present only when
/// set; OpenAI's <c>strict</c> flag is an API control, not model text, so templates do not see it.
/// </summary>
public sealed record ChatTool(string Name, string? Description = null, JsonElement? Parameters = null);
