using System.Text.Json;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Reads SSE bodies: the JSON payload of each <c>data:</c> event, and [DONE].</summary>
public static class Sse
{
    public static List<string> DataLines(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => e["data: ".Length..])
            .ToList();

    public static List<JsonElement> Payloads(string body) =>
        DataLines(body).Where(d => d != "[DONE]").Select(d => JsonDocument.Parse(d).RootElement.Clone()).ToList();
}
