namespace CyLlm.ChatTemplates.Tools;

/// <summary>
/// How one chat template does tools: the <see cref="ToolCallFamily"/> its model writes calls in, and whether the
/// template itself renders <c>tools</c>, assistant <c>tool_calls</c> and <c>tool</c> turns
/// (<see cref="NativeTools"/>). Detected from the template text, the way llama.cpp's common/chat.cpp
/// recognises formats: Mistral templates write <c>[TOOL_CALLS]</c> (the newer ones also <c>[ARGS]</c>), Llama 3.1+ write <c>&lt;|python_tag|&gt;</c>,
/// Hermes / Qwen 2.5 write <c>&lt;tool_call&gt;</c> with a JSON "name". Any other template (no tools, or a call
/// format this engine does not parse) gets the documented Hermes fallback (<see cref="ToolPromptFallback"/>),
/// so the prompt and the parser always agree.
/// </summary>
public sealed class ToolCallDialect
{
    private ToolCallDialect(ToolCallFamily family, bool native)
    {
        Family = family;
        NativeTools = native;
    }

    /// <summary>The fallback for templates without (supported) tool rendering: Hermes calls, tools in a system preamble.</summary>
    public static ToolCallDialect Fallback { get; } = new(ToolCallFamily.Hermes, false);

    public ToolCallFamily Family { get; }

    /// <summary>True when the template renders tools and tool turns itself; false for the Hermes fallback.</summary>
    public bool NativeTools { get; }

    public static ToolCallDialect Detect(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Detect(template.Source);
    }

    public static ToolCallDialect Detect(string templateSource)
    {
        ArgumentNullException.ThrowIfNull(templateSource);
        // gpt-oss: harmony messages (<|start|>role<|channel|>...<|message|>) whatever the template does with tools, since
        // every reply comes in channels (analysis, final) the parser must split.
        if (templateSource.Contains("<|channel|>", StringComparison.Ordinal) && templateSource.Contains("<|message|>", StringComparison.Ordinal)
            && templateSource.Contains("<|start|>", StringComparison.Ordinal))
        {
            return new ToolCallDialect(ToolCallFamily.Harmony, true);
        }

        if (!templateSource.Contains("tools", StringComparison.Ordinal))
        {
            return Fallback;
        }

        if (templateSource.Contains("[TOOL_CALLS]", StringComparison.Ordinal))
        {
            return new ToolCallDialect(templateSource.Contains("[ARGS]", StringComparison.Ordinal) ? ToolCallFamily.MistralArgs : ToolCallFamily.Mistral, true);
        }

        if (templateSource.Contains("<|python_tag|>", StringComparison.Ordinal))
        {
            return new ToolCallDialect(ToolCallFamily.Llama3, true);
        }

        // Qwen3-Coder's <function=...> and GLM's <arg_key> also sit inside <tool_call>, but are not JSON calls.
        if (templateSource.Contains("<tool_call>", StringComparison.Ordinal) && templateSource.Contains("\"name\"", StringComparison.Ordinal) &&
            !templateSource.Contains("<function=", StringComparison.Ordinal) && !templateSource.Contains("<arg_key>", StringComparison.Ordinal))
        {
            return new ToolCallDialect(ToolCallFamily.Hermes, true);
        }

        return Fallback;
    }

    /// <summary>
    /// True when every reply must go through <see cref="CreateParser"/>, tools or not: the format writes reasoning and
    /// answer in separate channels with markup between them (harmony).
    /// </summary>
    public bool ParsesEveryReply => Family == ToolCallFamily.Harmony;

    /// <summary>A fresh parser for one generation's output.</summary>
    public IToolCallParser CreateParser(Func<string>? newId = null) =>
        Family == ToolCallFamily.Harmony ? new HarmonyParser(newId) : new ToolCallParser(Family, newId);

    /// <summary>A parser for a reply that may make no calls (<see cref="ParsesEveryReply"/> formats only: the reply is
    /// split into reasoning and content, and a call the model writes anyway is content).</summary>
    public IToolCallParser CreateChannelParser() =>
        Family == ToolCallFamily.Harmony ? new HarmonyParser(calls: false) : throw new InvalidOperationException($"the {Family} format has no channels to parse");

    /// <summary>
    /// Text appended after the generation prompt so the model starts inside a call when <paramref name="choice"/>
    /// forces one — the stand-in for constrained decoding until the grammar engine is wired
    /// (<see cref="ToolCallGrammar"/>). For a named function the prefix ends where the arguments begin. Feed the
    /// same text to the parser before the model's output. Empty when nothing is forced.
    /// </summary>
    public string GenerationPrefix(ToolChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        string? name = choice.Mode == ToolChoiceMode.Function ? choice.FunctionName : null;
        if (!choice.Forces)
        {
            return "";
        }

        string quoted = name is null ? "" : System.Text.Json.JsonSerializer.Serialize(name);
        return Family switch
        {
            ToolCallFamily.Mistral => name is null ? "[TOOL_CALLS][{\"name\": \"" : "[TOOL_CALLS][{\"name\": " + quoted + ", \"arguments\": ",
            ToolCallFamily.MistralArgs => name is null ? "[TOOL_CALLS]" : "[TOOL_CALLS]" + name + "[ARGS]",
            ToolCallFamily.Llama3 => name is null ? "{\"name\": \"" : "{\"name\": " + quoted + ", \"parameters\": ",
            ToolCallFamily.Harmony => name is null ? "<|channel|>commentary to=functions." : "<|channel|>commentary to=functions." + name + " <|constrain|>json<|message|>",
            _ => name is null ? "<tool_call>\n{\"name\": \"" : "<tool_call>\n{\"name\": " + quoted + ", \"arguments\": ",
        };
    }

    /// <summary>
    /// The conversation and the render options the template needs for <paramref name="tools"/>: native templates get
    /// the tools as the <c>tools</c> variable (Mistral's with their call ids shortened to the 9 characters its
    /// templates demand); the fallback folds tools, calls and results into plain system/user/assistant text.
    /// </summary>
    public (IReadOnlyList<ChatMessage> Messages, ChatTemplateOptions Options) Prepare(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, ChatTemplateOptions options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(options);
        if (!NativeTools)
        {
            return (ToolPromptFallback.Rewrite(messages, tools), options);
        }

        if (Family is ToolCallFamily.Mistral or ToolCallFamily.MistralArgs)
        {
            messages = messages.Select(m => m with
            {
                ToolCalls = m.ToolCalls?.Select(c => c with { Id = ToolCallIds.ForMistral(c.Id) }).ToList(),
                ToolCallId = m.ToolCallId is null ? null : ToolCallIds.ForMistral(m.ToolCallId),
            }).ToList();
        }

        return (messages, tools is { Count: > 0 } ? options with { Tools = tools } : options);
    }
}
