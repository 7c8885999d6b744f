using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Observability;

/// <summary>
/// Wraps a logging provider so every line it writes passes through <see cref="LogRedactor"/>: messages, structured
/// fields, exceptions and scopes. <see cref="WrapAll"/> wraps every provider registered with the host, so no code
/// path (gateway, ASP.NET Core, engine, a provider added later in configuration) can log around it.
/// </summary>
public sealed class RedactingLoggerProvider(ILoggerProvider inner, LogRedactor redactor) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope s)
        {
            s.SetScopeProvider(new RedactingScopeProvider(scopeProvider, redactor));
        }
    }

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces each <see cref="ILoggerProvider"/> registration with a redacting wrapper of it.</summary>
    public static void WrapAll(IServiceCollection services, LogRedactor redactor)
    {
        for (int i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(ILoggerProvider) || d.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(sp => new RedactingLoggerProvider(Create(sp, d), redactor));
        }
    }

    private static ILoggerProvider Create(IServiceProvider sp, ServiceDescriptor d) =>
        d.ImplementationInstance as ILoggerProvider
        ?? (d.ImplementationFactory is { } f ? (ILoggerProvider)f(sp) : (ILoggerProvider)ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));
}
