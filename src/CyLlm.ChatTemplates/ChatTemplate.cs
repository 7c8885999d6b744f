using CyLlm.ChatTemplates.Jinja;

namespace CyLlm.ChatTemplates;

/// <summary>
/// A parsed Jinja chat template (the model's <c>tokenizer.chat_template</c>, rendered as Hugging Face
/// transformers renders it: trim_blocks and lstrip_blocks on). Parse once, render per request; thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Stmt> _body;

    private ChatTemplate(string source, List<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; a syntax error throws <see cref="ChatTemplateException"/> with its line.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, Parser.Parse(source));
    }

    /// <summary>Renders the conversation; <c>raise_exception</c> and exceeded limits throw <see cref="ChatTemplateException"/>.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, ChatTemplateOptions? options = null)
    {
        options ??= new ChatTemplateOptions();
        var globals = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => (object?)new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["role"] = m.Role,
                ["content"] = m.Content,
            }).ToList(),
            ["add_generation_prompt"] = options.AddGenerationPrompt,
            ["bos_token"] = options.BosToken,
            ["eos_token"] = options.EosToken,
        };
        if (options.Variables is { } vars)
        {
            foreach (var (k, v) in vars)
            {
                globals[k] = Values.FromClr(v);
            }
        }

        return new Interpreter(globals, options.Time).Render(_body);
    }
}
