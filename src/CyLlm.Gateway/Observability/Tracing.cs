using CyLlm.Engine.Diagnostics;
using OpenTelemetry.Trace;

namespace CyLlm.Gateway.Observability;

/// <summary>OpenTelemetry tracing: ASP.NET Core server spans (honouring an incoming W3C traceparent) with the
/// engine's queue/prefill/decode spans beneath them; exported over OTLP only when an endpoint is configured.</summary>
public static class Tracing
{
    public static void Configure(TracerProviderBuilder t, GatewayOptions options)
    {
        t.AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/metrics"))
            .AddSource(EngineTracing.SourceName);
        if (options.OtlpEndpoint is { } endpoint)
        {
            t.AddOtlpExporter(o => o.Endpoint = new Uri(endpoint));
        }
    }
}
