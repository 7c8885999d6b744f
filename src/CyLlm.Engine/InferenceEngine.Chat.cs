using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;

namespace CyLlm.Engine;

public sealed partial class InferenceEngine
{
    private (ChatTemplate Template, string Name)? _chatTemplate;
    private ToolCallDialect? _toolDialect;

    /// <summary>How the chat template in use renders tools and how its model writes tool calls.</summary>
    public ToolCallDialect ToolDialect => _toolDialect ??= ToolCallDialect.Detect(ResolveChatTemplate().Template);

    /// <summary>The chat template in use: "model" for the model's own, else the built-in fallback's name.</summary>
    public string ChatTemplateName => ResolveChatTemplate().Name;

    private (ChatTemplate Template, string Name) ResolveChatTemplate() =>
        _chatTemplate ??= ChatTemplateSelector.Resolve(Model.Tokenizer?.ChatTemplate, ChatTemplateHint(Config.Architecture));

    /// <summary>
    /// The architecture hint that picks the built-in template for a model without its own; training renders
    /// conversations with the same one so an adapter learns the prompts it will be served.
    /// </summary>
    public static string? ChatTemplateHint(Models.ModelArchitecture architecture) => architecture switch
    {
        Models.ModelArchitecture.Qwen2 or Models.ModelArchitecture.Qwen2Moe => "qwen2",
        // Qwen3 is plain ChatML (no default system prompt, unlike the qwen2 built-in): the selector's
        // fallback for an unknown hint. Real Qwen3 files carry their own template, which wins anyway.
        Models.ModelArchitecture.Qwen3 or Models.ModelArchitecture.Qwen3Moe => "qwen3",
        // Gemma 2 and 3 share the <start_of_turn>user/model format of the built-in "gemma" template.
        Models.ModelArchitecture.Gemma2 or Models.ModelArchitecture.Gemma3 => "gemma",
        Models.ModelArchitecture.Phi3 => "phi3",
        _ => null,
    };

    /// <summary>
    /// Renders a conversation into the prompt text the model was trained on (its own chat template, or the
    /// ChatML fallback), with the model's BOS/EOS texts. The result is encoded with special tokens parsed
    /// and without an extra BOS when the template already starts with it.
    /// </summary>
    public string RenderChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true) =>
        RenderChat(messages, null, addGenerationPrompt);

    /// <summary>
    /// Renders a conversation with <paramref name="tools"/> (none: null or empty) and its tool calls and results,
    /// the way <see cref="ToolDialect"/> says: through the template itself when it knows tools, else through the
    /// Hermes fallback (<see cref="ToolPromptFallback"/>).
    /// </summary>
    public string RenderChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, bool addGenerationPrompt = true)
    {
        var tok = RequireTokenizer();
        string bos = tok.BosId >= 0 ? Model.Tokenizer!.Tokens[tok.BosId] : "";
        string eos = tok.EosId >= 0 ? Model.Tokenizer!.Tokens[tok.EosId] : "";
        var options = new ChatTemplateOptions
        {
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = bos,
            EosToken = eos,
        };
        bool toolTurns = tools is { Count: > 0 } || messages.Any(m => m.ToolCalls is { Count: > 0 } || m.ToolCallId is not null || m.Role == "tool");
        if (toolTurns)
        {
            (messages, options) = ToolDialect.Prepare(messages, tools, options);
        }

        return ResolveChatTemplate().Template.Render(messages, options);
    }

    /// <summary>Token ids of a rendered conversation: BOS is added only when the template did not write it.</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true) =>
        EncodeChat(messages, null, addGenerationPrompt ? "" : null);

    /// <summary>
    /// Token ids of a conversation rendered with <paramref name="tools"/> and the assistant prompt, followed by
    /// <paramref name="generationPrefix"/> (text the reply is forced to start with; null renders without the
    /// assistant prompt). BOS is added only when the template did not write it.
    /// </summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, string? generationPrefix)
    {
        var tok = RequireTokenizer();
        string text = RenderChat(messages, tools, generationPrefix is not null) + generationPrefix;
        string bos = tok.BosId >= 0 ? Model.Tokenizer!.Tokens[tok.BosId] : "";
        bool templateHasBos = bos.Length > 0 && text.StartsWith(bos, StringComparison.Ordinal);
        return tok.Encode(text, tok.AddBosByDefault && !templateHasBos, parseSpecial: true);
    }
}
