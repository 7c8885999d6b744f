using System.Diagnostics;

namespace CyLlm.Engine.Diagnostics;

/// <summary>
/// The ActivitySource "CyLlm.Engine": spans per generation for the queue wait, the prefill (start to first token)
/// and the decode (first token to finish). Spans cost nothing unless a tracer listens (the gateway's OpenTelemetry).
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "CyLlm.Engine";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Records a finished span [<paramref name="start"/>, <paramref name="end"/>] under <paramref name="parent"/>.</summary>
    public static void Span(string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end, string? tag = null, object? value = null)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        // Started and stopped at once with explicit times: the worker learns the boundaries as they pass.
        using var a = Source.StartActivity(name, ActivityKind.Internal, parent, startTime: start);
        if (a is null)
        {
            return;
        }

        if (tag is not null)
        {
            a.SetTag(tag, value);
        }

        a.SetEndTime(end.UtcDateTime);
    }
}
