namespace CyLlm.Jobs;

/// <summary>Why a task failed: a stable machine-readable <paramref name="Code"/> (snake_case) and a one-line message.</summary>
public sealed record TaskError(string Code, string Message)
{
    public string Code { get; } = string.IsNullOrWhiteSpace(Code) ? throw new ArgumentException("error code must not be empty", nameof(Code)) : Code;

    public string Message { get; } = Message ?? throw new ArgumentNullException(nameof(Message));
}
