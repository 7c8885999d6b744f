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
        Scan(lines, endpoint, maxRequests, result);
        return result;
    }

    /// <summary>
    /// The checks of <see cref="Parse"/> over lines read one at a time (e.g. <c>File.ReadLines</c>), keeping no line
    /// and no body: memory stays bounded by one line plus the custom_ids seen (at most <paramref name="maxRequests"/>),
    /// however many lines the file has. Returns the number of requests; throws the same errors as Parse.
    /// </summary>
    public static int Validate(IEnumerable<string> lines, string? endpoint, int maxRequests)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Scan(lines, endpoint, maxRequests, keep: null);
    }

    /// <summary>Checks every line; adds the parsed requests to <paramref name="keep"/> when given. Returns the count.</summary>
    private static int Scan(IEnumerable<string> lines, string? endpoint, int maxRequests, List<BatchRequestLine>? keep)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int count = 0;
        int i = -1;
        foreach (string line in lines)
        {
            i++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            int lineNo = i + 1;
            if (count >= maxRequests)
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

                keep?.Add(new BatchRequestLine(count, customId, method, url, body.GetRawText()));
                count++;
            }
        }

        if (count == 0)
        {
            throw new BatchInputException(0, "the batch input has no requests");
        }

        return count;
    }

    private static string RequireString(JsonElement root, string name, int lineNo) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new BatchInputException(lineNo, $"missing string field '{name}'");
}
