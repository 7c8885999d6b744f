using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Observability;

/// <summary>Hands providers the scopes (request ids, hosting scopes, anything a handler pushed) redacted.</summary>
public sealed class RedactingScopeProvider(IExternalScopeProvider inner, LogRedactor redactor) : IExternalScopeProvider
{
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope((scope, s) => callback(RedactedState.From(scope, null, redactor), s), state);

    public IDisposable Push(object? state) => inner.Push(state);
}
