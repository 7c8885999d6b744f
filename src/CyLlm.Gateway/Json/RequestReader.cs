using System.Buffers;
using System.Text.Json;
using CyLlm.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Json;

/// <summary>
/// Reads a JSON request body with the gateway's input limits: at most <c>maxBytes</c> (413 otherwise),
/// well-formed JSON no deeper than <see cref="MaxJsonDepth"/>, and no control characters (other than tab, CR,
/// LF) or unpaired surrogates in any string — each failure is a 400 naming the field.
/// </summary>
public static class RequestReader
{
    public const int MaxJsonDepth = 32;

    /// <summary>Oversized bodies up to this size are drained before the 413 is sent.</summary>
    private const long DrainLimitBytes = 32L << 20;

    public static async Task<T> ReadAsync<T>(HttpContext ctx, long maxBytes)
        where T : class
    {
        byte[] body = await ReadBodyAsync(ctx, maxBytes);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"The body is not valid JSON ({FirstLine(e.Message)})", null);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiError.BadRequest("The body must be a JSON object");
            }

            CheckStrings(doc.RootElement, "");
            try
            {
                return doc.RootElement.Deserialize<T>(GatewayJson.Options) ?? throw ApiError.BadRequest("The body must be a JSON object");
            }
            catch (JsonException e)
            {
                string? param = PathToParam(e.Path);
                throw ApiError.BadRequest($"Invalid type for '{param}'", param);
            }
        }
    }

    /// <summary>Reads the whole body, refusing more than <paramref name="maxBytes"/> without buffering it.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContext ctx, long maxBytes)
    {
        if (ctx.Request.ContentLength is long declared && declared > maxBytes)
        {
            // Read (and drop) a moderately oversized body before answering: a client still sending would
            // otherwise see a connection reset instead of the 413. Absurd sizes are refused at once.
            if (declared <= DrainLimitBytes)
            {
                // Kestrel's own limit (just above the gateway's) would refuse the read outright and close the
                // connection mid-upload; lift it for this request so the drain can finish.
                if (ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = DrainLimitBytes;
                }

                await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted);
            }

            throw TooLarge(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        var stream = ctx.Request.Body;
        while (true)
        {
            var span = buffer.GetMemory(8192);
            int n = await stream.ReadAsync(span, ctx.RequestAborted);
            if (n == 0)
            {
                break;
            }

            buffer.Advance(n);
            if (buffer.WrittenCount > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static ApiError TooLarge(long maxBytes) =>
        new(413, ErrorCodes.RequestTooLarge, $"The request body is larger than the {maxBytes}-byte limit. Fix: send a shorter prompt or raise --max-body-bytes on the server");

    /// <summary>Walks every string (values and property names) and rejects unsafe characters.</summary>
    internal static void CheckStrings(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string child = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                    CheckText(p.Name, child);
                    CheckStrings(p.Value, child);
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    CheckStrings(item, $"{path}[{i}]");
                    i++;
                }

                break;
            case JsonValueKind.String:
                string s;
                try
                {
                    s = e.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    throw ApiError.BadRequest($"'{path}' contains an unpaired surrogate", path);
                }

                CheckText(s, path);
                break;
        }
    }

    private static void CheckText(string s, string path)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsControl(c) && c != '\t' && c != '\n' && c != '\r')
            {
                throw ApiError.BadRequest($"'{path}' contains the control character U+{(int)c:X4} at index {i}", path);
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                    continue;
                }

                throw ApiError.BadRequest($"'{path}' contains an unpaired surrogate at index {i}", path);
            }

            if (char.IsLowSurrogate(c))
            {
                throw ApiError.BadRequest($"'{path}' contains an unpaired surrogate at index {i}", path);
            }
        }
    }

    /// <summary>"$.messages[0].content" → "messages[0].content".</summary>
    internal static string? PathToParam(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl];
    }
}
