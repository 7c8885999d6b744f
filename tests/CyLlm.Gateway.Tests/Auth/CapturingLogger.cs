using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>One category's logger of a <see cref="LogCapture"/>: every level, every structured value.</summary>
internal sealed class CapturingLogger(LogCapture owner, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string values = state is IEnumerable<KeyValuePair<string, object?>> kv ? string.Join(" ", kv.Select(p => $"{p.Key}={p.Value}")) : "";
        owner.Add($"{logLevel} {category}: {formatter(state, exception)} {values} {exception}");
    }
}
