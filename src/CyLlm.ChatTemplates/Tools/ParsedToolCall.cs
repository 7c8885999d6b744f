namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// A complete tool call found in model output: its position among the calls (OpenAI's streaming index), a fresh
/// id (<c>call_</c> + 24 random characters), the function name and the arguments as JSON text.
/// </summary>
public sealed record ParsedToolCall(int Index, string Id, string Name, string Arguments);
