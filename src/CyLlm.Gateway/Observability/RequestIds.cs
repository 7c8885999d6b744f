using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Observability;

/// <summary>The request's X-Request-Id (the client's when it sent a sane one, else generated) and model label.</summary>
public static class RequestIds
{
    public const string Header = "X-Request-Id";
    private const string ItemKey = "cyllm.request_id";
    private const string ModelKey = "cyllm.model";
    private const int MaxLength = 128;

    /// <summary>The id of this request; a fresh one when the middleware did not run (unit tests).</summary>
    public static string Of(HttpContext ctx) => ctx.Items.TryGetValue(ItemKey, out var v) && v is string s ? s : ctx.TraceIdentifier;

    internal static string Assign(HttpContext ctx)
    {
        string id = ctx.Request.Headers[Header].ToString();
        if (!IsAcceptable(id))
        {
            id = "req_" + Guid.NewGuid().ToString("N");
        }

        ctx.Items[ItemKey] = id;
        return id;
    }

    /// <summary>Records the served model for the request metrics' "model" label.</summary>
    public static void SetModel(HttpContext ctx, string model) => ctx.Items[ModelKey] = model;

    public static string ModelOf(HttpContext ctx) => ctx.Items.TryGetValue(ModelKey, out var v) && v is string s ? s : "";

    /// <summary>Echo only ids that are safe in headers and logs: 1 to 128 of [A-Za-z0-9._:-].</summary>
    internal static bool IsAcceptable(string id)
    {
        if (id.Length is 0 or > MaxLength)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }
}
