using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>Collects every formatted log line (message, structured values, exception) of a server.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string All => string.Join("\n", _lines);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    internal void Add(string line) => _lines.Enqueue(line);

    public void Dispose()
    {
    }
}
