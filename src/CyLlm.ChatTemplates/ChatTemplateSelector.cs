using System.Collections.Concurrent;

namespace CyLlm.ChatTemplates;

/// <summary>
/// Chooses the template for a model: its own <c>tokenizer.chat_template</c> when it has one, else a built-in
/// fallback picked from an architecture hint (GGUF <c>general.architecture</c>, HF <c>model_type</c>, or a
/// built-in name), ChatML when nothing matches.
/// </summary>
public static class ChatTemplateSelector
{
    /// <summary>The fallback when a model has no template and the hint names none.</summary>
    public const string DefaultFallback = "chatml";

    /// <summary>The name reported for a model's own template.</summary>
    public const string ModelTemplateName = "model";

    // Built-in templates parse once per process; ChatTemplate is immutable.
    private static readonly ConcurrentDictionary<string, ChatTemplate> Parsed = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The model's own template when <paramref name="modelTemplate"/> is non-blank and parses, else the fallback
    /// for <paramref name="architectureHint"/>, with the chosen name ("model" or a built-in name).
    /// </summary>
    public static (ChatTemplate Template, string Name) Resolve(string? modelTemplate, string? architectureHint = null)
    {
        var s = Select(modelTemplate, architectureHint);
        return (s.Template, s.Name);
    }

    /// <summary>Like <see cref="Resolve"/>, and says why the model's own template was not used.</summary>
    public static ChatTemplateSelection Select(string? modelTemplate, string? architectureHint = null)
    {
        string reason = "the model has no chat template";
        if (!string.IsNullOrWhiteSpace(modelTemplate))
        {
            try
            {
                return new ChatTemplateSelection(ChatTemplate.Parse(modelTemplate), ModelTemplateName, null);
            }
            catch (ChatTemplateException e)
            {
                reason = "the model's chat template is not supported: " + e.Message;
            }
        }

        string name = FallbackNameFor(architectureHint);
        return new ChatTemplateSelection(Named(name), name, reason);
    }

    /// <summary>The name reported for a template given by the operator (<c>--chat-template</c> with Jinja source).</summary>
    public const string CustomTemplateName = "custom";

    /// <summary>
    /// The template an operator chose over the model's own (llama-server's <c>--chat-template</c> /
    /// <c>--chat-template-file</c>, vLLM's <c>--chat-template</c>): a built-in name, else Jinja source, reported as
    /// <see cref="CustomTemplateName"/>.
    /// </summary>
    /// <exception cref="ChatTemplateException">The source does not parse.</exception>
    public static (ChatTemplate Template, string Name) Override(string nameOrSource)
    {
        ArgumentNullException.ThrowIfNull(nameOrSource);
        return BuiltInTemplates.TryGet(nameOrSource.Trim(), out _)
            ? (Named(nameOrSource), nameOrSource.Trim().ToLowerInvariant())
            : (ChatTemplate.Parse(nameOrSource), CustomTemplateName);
    }

    /// <summary>The built-in template <paramref name="name"/> (e.g. from configuration), parsed once.</summary>
    public static ChatTemplate Named(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!BuiltInTemplates.TryGet(name, out var source))
        {
            throw new ChatTemplateException(
                $"unknown built-in chat template '{name}' (known: {string.Join(", ", BuiltInTemplates.Names)})",
                ChatTemplateErrorKind.Syntax, 0, 0);
        }

        return Parsed.GetOrAdd(name.Trim(), _ => ChatTemplate.Parse(source));
    }

    /// <summary>
    /// The built-in name for an architecture hint: a built-in name itself, or gemma*, qwen2*, llama2/llama-2,
    /// llama3*/llama-3*, mistral, zephyr/tinyllama and smollm*; anything else (including the ambiguous GGUF
    /// "llama", shared by Llama 2/3, Mistral and TinyLlama) falls back to ChatML, as llama.cpp does.
    /// </summary>
    public static string FallbackNameFor(string? architectureHint)
    {
        string hint = (architectureHint ?? "").Trim().ToLowerInvariant();
        if (hint.Length == 0)
        {
            return DefaultFallback;
        }

        if (BuiltInTemplates.TryGet(hint, out _))
        {
            return hint;
        }

        if (hint.StartsWith("gemma", StringComparison.Ordinal))
        {
            return "gemma";
        }

        if (hint.StartsWith("qwen2", StringComparison.Ordinal))
        {
            return "qwen2";
        }

        if (hint.StartsWith("llama3", StringComparison.Ordinal) || hint.StartsWith("llama-3", StringComparison.Ordinal))
        {
            return "llama3";
        }

        if (hint is "llama-2" || hint.StartsWith("llama2", StringComparison.Ordinal))
        {
            return "llama2";
        }

        if (hint.StartsWith("mistral", StringComparison.Ordinal) || hint.StartsWith("mixtral", StringComparison.Ordinal))
        {
            return "mistral";
        }

        if (hint.StartsWith("zephyr", StringComparison.Ordinal) || hint.StartsWith("tinyllama", StringComparison.Ordinal))
        {
            return "zephyr";
        }

        if (hint.StartsWith("smollm", StringComparison.Ordinal))
        {
            return "smollm2";
        }

        if (hint.StartsWith("phi3", StringComparison.Ordinal) || hint.StartsWith("phi-3", StringComparison.Ordinal))
        {
            // Phi-3, 3.5 and 4 files carry their own template; one without gets Phi-3.5's <|user|>…<|end|> format.
            return "phi3.5";
        }

        return DefaultFallback;
    }
}
