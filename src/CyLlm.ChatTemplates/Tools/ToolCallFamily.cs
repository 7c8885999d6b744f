namespace CyLlm.ChatTemplates.Tools;

/// <summary>How a model writes its tool calls (and so how they are parsed and constrained).</summary>
public enum ToolCallFamily
{
    /// <summary>Hermes / Qwen 2.5: <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, one block per call.</summary>
    Hermes,

    /// <summary>Llama 3.1+: <c>{"name": ..., "parameters": {...}}</c>, bare or after <c>&lt;|python_tag|&gt;</c>.</summary>
    Llama3,

    /// <summary>Mistral: <c>[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]</c>.</summary>
    Mistral,

    /// <summary>Mistral's newer templates (Small 3.2, Devstral, Ministral 3): <c>[TOOL_CALLS]name[ARGS]{...}</c> per call.</summary>
    MistralArgs,

    /// <summary>gpt-oss's harmony format: <c>&lt;|channel|&gt;commentary to=functions.NAME &lt;|constrain|&gt;json&lt;|message|&gt;{...}&lt;|call|&gt;</c>,
    /// beside the analysis (reasoning) and final (answer) channels; see <see cref="HarmonyParser"/>.</summary>
    Harmony,
}
