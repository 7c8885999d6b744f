namespace CyLlm.ChatTemplates;

/// <summary>The variables a chat template sees besides <c>messages</c>, and the limits of one render.</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>Default limit on evaluation steps: real templates need a few hundred per message.</summary>
    public const long DefaultMaxSteps = 5_000_000;

    /// <summary>Default limit on the rendered text and on any string built while rendering (UTF-16 code units).</summary>
    public const int DefaultMaxOutputChars = 4 * 1024 * 1024;

    /// <summary>
    /// <c>add_generation_prompt</c>: append the header that opens the assistant's turn. Defaults to true (a
    /// serving engine renders prompts to generate from); Hugging Face's apply_chat_template defaults to false.
    /// </summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary><c>bos_token</c>: the text of the model's beginning-of-sequence token ("" when it has none).</summary>
    public string BosToken { get; init; } = "";

    /// <summary><c>eos_token</c>: the text of the model's end-of-sequence token ("" when it has none).</summary>
    public string EosToken { get; init; } = "";

    /// <summary>
    /// <c>tools</c>: the functions the model may call, as transformers' <c>apply_chat_template(tools=...)</c> passes
    /// them; null (the template sees none) by default. A "tools" entry in <see cref="Variables"/> overrides it.
    /// </summary>
    public IReadOnlyList<ChatTool>? Tools { get; init; }

    /// <summary>
    /// Further template variables (e.g. "tools", "date_string", "enable_thinking"); they override the built-in
    /// ones of the same name. Values may be null, strings, booleans, numbers, dictionaries with string keys,
    /// sequences, <see cref="ChatMessage"/>s or System.Text.Json elements/nodes.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>The clock behind <c>strftime_now</c> (its local time, as transformers uses datetime.now()).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Evaluation steps after which rendering fails with <see cref="ChatTemplateErrorKind.LimitExceeded"/>.</summary>
    public long MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>Characters of output (and of any one string) after which rendering fails.</summary>
    public int MaxOutputChars { get; init; } = DefaultMaxOutputChars;
}
