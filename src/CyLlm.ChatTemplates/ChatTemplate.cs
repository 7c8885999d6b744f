using CyLlm.ChatTemplates.Jinja;

namespace CyLlm.ChatTemplates;

/// <summary>
/// A parsed Jinja chat template (a model's <c>tokenizer.chat_template</c>), rendered the way Hugging Face
/// transformers renders it: Jinja2 semantics in an immutable sandbox with trim_blocks and lstrip_blocks,
/// loop controls, <c>raise_exception</c>, <c>strftime_now</c> and a json.dumps-based <c>tojson</c>.
/// Parse once, render per request: instances are immutable and thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>Longest template source accepted (UTF-16 code units); real templates are under 100k.</summary>
    public const int MaxSourceLength = 4 * 1024 * 1024;

    private static readonly ChatTemplateOptions DefaultOptions = new();
    private readonly List<Stmt> _body;

    private ChatTemplate(string source, List<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    /// <summary>The template text as given to <see cref="Parse"/>.</summary>
    public string Source { get; }

    /// <summary>
    /// Parses <paramref name="source"/>. A syntax error, an unknown filter/test or an unsupported tag throws
    /// <see cref="ChatTemplateException"/> (kind <see cref="ChatTemplateErrorKind.Syntax"/>) with its line and column.
    /// </summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > MaxSourceLength)
        {
            throw new ChatTemplateException($"the template has {source.Length} characters, more than the limit of {MaxSourceLength}", ChatTemplateErrorKind.LimitExceeded, 0, 0);
        }

        try
        {
            return new ChatTemplate(source, Parser.Parse(source));
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new ChatTemplateException("the template nests too deeply", ChatTemplateErrorKind.LimitExceeded, 0, 0, e);
        }
    }

    /// <summary>
    /// Renders the conversation. The template sees <c>messages</c> (dicts with role, content and, when set,
    /// name, tool_calls and tool_call_id), <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c>, <c>tools</c> and
    /// <c>documents</c> (none unless given), then <see cref="ChatTemplateOptions.Variables"/>. Failures —
    /// <c>raise_exception</c>, type errors, exceeded limits — throw <see cref="ChatTemplateException"/>.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= DefaultOptions;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSteps, 1L, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxOutputChars, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(options.Time, nameof(options));

        var list = new List<object?>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw new ArgumentException($"messages[{i}] is null", nameof(messages));
            if (m.Role is null)
            {
                throw new ArgumentException($"messages[{i}] has no role", nameof(messages));
            }

            list.Add(ClrValues.Message(m));
        }

        var globals = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = list,
            ["tools"] = options.Tools is { } tools ? ClrValues.Tools(tools) : null,
            ["documents"] = null,
            ["add_generation_prompt"] = options.AddGenerationPrompt,
            ["bos_token"] = options.BosToken ?? "",
            ["eos_token"] = options.EosToken ?? "",
        };
        if (options.Variables is { } vars)
        {
            foreach (var (name, value) in vars)
            {
                globals[name] = ClrValues.Convert(name, value);
            }
        }

        var interpreter = new Interpreter(globals, options.Time, new RenderBudget(options.MaxSteps, options.MaxOutputChars));
        try
        {
            return interpreter.Render(_body);
        }
        catch (TemplateError e)
        {
            throw new ChatTemplateException(e.Message, e.Kind, interpreter.Line, interpreter.Column);
        }
        catch (OverflowException e)
        {
            throw new ChatTemplateException("integer overflow (template integers are 64-bit)", ChatTemplateErrorKind.Render, interpreter.Line, interpreter.Column, e);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new ChatTemplateException("the template nests too deeply", ChatTemplateErrorKind.LimitExceeded, interpreter.Line, interpreter.Column, e);
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or KeyNotFoundException or FormatException or NullReferenceException)
        {
            // A case the evaluator does not model: still one clear error type for callers, with the cause kept.
            throw new ChatTemplateException($"cannot render this template ({e.GetType().Name}: {e.Message})", ChatTemplateErrorKind.Render, interpreter.Line, interpreter.Column, e);
        }
    }
}
