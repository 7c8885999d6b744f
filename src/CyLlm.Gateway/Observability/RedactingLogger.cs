using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Observability;

/// <summary>Forwards to the real logger with the message, the structured state and the exception redacted.</summary>
public sealed class RedactingLogger(ILogger inner, LogRedactor redactor) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull =>
        inner.BeginScope(RedactedState.From(state, null, redactor) ?? "");

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        string message = redactor.Redact(formatter(state, exception));
        var redacted = (RedactedState)RedactedState.From(state, message, redactor)!;
        var ex = exception is null ? null : new RedactedException(exception, redactor);
        inner.Log(logLevel, eventId, redacted, ex, static (s, _) => s.ToString());
    }
}
