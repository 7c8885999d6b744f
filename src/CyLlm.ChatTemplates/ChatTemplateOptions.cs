namespace CyLlm.ChatTemplates;

/// <summary>The variables a chat template sees besides the messages.</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>Append the header that opens the assistant's turn.</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    public string BosToken { get; init; } = "";

    public string EosToken { get; init; } = "";

    /// <summary>Further variables (e.g. "date_string"); values are strings, numbers, booleans, lists or dictionaries.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }

    /// <summary>Clock for strftime_now.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
