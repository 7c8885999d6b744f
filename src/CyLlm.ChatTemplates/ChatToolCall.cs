namespace CyLlm.ChatTemplates;

/// <summary>
/// One function call of an assistant turn, in OpenAI's shape: <paramref name="Arguments"/> is the JSON text of
/// the arguments. Templates see <c>{"id", "type": "function", "function": {"name", "arguments"}}</c> with the
/// arguments decoded into a dict when they are a JSON object (templates do <c>arguments | tojson</c> and
/// <c>arguments | items</c>, as vLLM and llama.cpp pass them), else the text as it is.
/// </summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);
