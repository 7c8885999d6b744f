using CyLlm.Gateway.Audit;
using CyLlm.Gateway.Hosting;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace CyLlm.Gateway.Auth;

/// <summary>Registers the key authenticator, the key service and the audit writer, and says at start-up how the
/// server is protected.</summary>
public static class AuthSetup
{
    public static void AddServices(IServiceCollection services, GatewayOptions options, IJobStore store)
    {
        services.AddSingleton(new ApiKeyAuthenticator(store, options.Time, options.AuthCacheTtl));
        services.AddSingleton(new ApiKeyService(store, options.Time));
        // Created by the container so that disposing the app (after Kestrel has drained requests) flushes the queue.
        services.AddSingleton(sp => new AuditWriter(store, sp.GetRequiredService<ILogger<AuditWriter>>()));
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(AuditWriter.MeterName));
    }

    /// <summary>Warns when auth is off, and tells a new user how to create the first key when there is none.</summary>
    public static void LogStartup(WebApplication app, GatewayState state)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.Auth");
        // Resolve now: the writer's loop runs from start-up, not from the first request.
        app.Services.GetRequiredService<AuditWriter>();
        if (state.Options.AuthDisabled)
        {
            log.LogWarning("!!! AUTHENTICATION IS DISABLED (--no-auth): every request on {Host} acts as tenant '{Tenant}' with admin rights. Development on loopback only. !!!",
                state.Options.Host, Caller.DefaultTenant);
            return;
        }

        long keys = state.Store.CountApiKeysAsync().GetAwaiter().GetResult();
        if (keys == 0)
        {
            log.LogWarning("no API keys exist yet, so every request will get 401 invalid_api_key; create one with: cyllm keys create --data-dir {DataDir} --scope admin --scope inference",
                state.StoreHost.DataDirectory);
        }
    }
}
