using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Keeps every log line as one JSON object — message, structured state, scopes and exception text —
/// the same content the JSON console writes, so tests can search all of it.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new Dictionary<string, object?>
            {
                ["Category"] = category,
                ["LogLevel"] = logLevel.ToString(),
                ["Message"] = formatter(state, exception),
                ["Exception"] = exception?.ToString(),
            };
            if (state is IEnumerable<KeyValuePair<string, object?>> kvs)
            {
                line["State"] = kvs.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString(), StringComparer.Ordinal);
            }

            var scopes = new List<string?>();
            owner._scopes.ForEachScope((scope, list) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    list.AddRange(pairs.Select(p => p.Key + "=" + p.Value));
                }

                list.Add(scope?.ToString());
            }, scopes);
            line["Scopes"] = scopes;
            owner.Lines.Enqueue(JsonSerializer.Serialize(line));
        }
    }
}
