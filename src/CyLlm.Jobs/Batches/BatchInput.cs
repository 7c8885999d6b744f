using System.Text.Json;

namespace CyLlm.Jobs.Batches;

/// <summary>Parses and validates a batch input file (JSONL; OpenAI rules: unique custom_id, POST, the batch's endpoint).</summary>
public static class BatchInput
{
    public const int MaxCustomIdLength = 512;

    /// <summary>
    /// Parses the non-empty lines of a JSONL input. Every line must be an object with a non-empty unique string
    /// <c>custom_id</c>, <c>method</c> POST, <c>url</c> equal to <paramref name="endpoint"/> (when given) and an object
    /// <c>body</c>. Throws <see cref="BatchInputException"/> naming the first bad line.
    /// </summary>
    public static IReadOnlyList<BatchRequestLine> Parse(IReadOnlyList<string> lines, string? endpoint, int maxRequests)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var result = new List<BatchRequestLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            int lineNo = i + 1;
            if (result.Count >= maxRequests)
            {
                throw new BatchInputException(lineNo, $"the batch has more than {maxRequests} requests");
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 64 });
            }
            catch (JsonException e)
            {
                throw new BatchInputException(lineNo, $"not valid JSON ({e.Message})");
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new BatchInputException(lineNo, "expected a JSON object");
                }

                string customId = RequireString(root, "custom_id", lineNo);
                if (customId.Length is 0 or > MaxCustomIdLength)
                {
                    throw new BatchInputException(lineNo, $"custom_id must be 1..{MaxCustomIdLength} characters");
                }

                if (!seen.Add(customId))
                {
                    throw new BatchInputException(lineNo, $"duplicate custom_id '{customId}'");
                }

                string method = RequireString(root, "method", lineNo);
                if (method != "POST")
                {
                    throw new BatchInputException(lineNo, $"method must be POST, not '{method}'");
                }

                string url = RequireString(root, "url", lineNo);
                if (endpoint is not null ? url != endpoint : !url.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    throw new BatchInputException(lineNo, endpoint is not null ? $"url '{url}' differs from the batch endpoint '{endpoint}'" : $"url '{url}' is not a /v1/ endpoint");
                }

                if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
                {
                    throw new BatchInputException(lineNo, "body must be a JSON object");
                }

                result.Add(new BatchRequestLine(result.Count, customId, method, url, body.GetRawText()));
            }
        }

        if (result.Count == 0)
        {
            throw new BatchInputException(0, "the batch input has no requests");
        }

        return result;
    }

    private static string RequireString(JsonElement root, string name, int lineNo) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new BatchInputException(lineNo, $"missing string field '{name}'");
}
