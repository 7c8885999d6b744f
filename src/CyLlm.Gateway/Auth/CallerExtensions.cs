using CyLlm.Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Auth;

/// <summary>Reads and sets the request's <see cref="Caller"/> (an HttpContext item).</summary>
public static class CallerExtensions
{
    private const string ItemKey = "cyllm.caller";

    /// <summary>The authenticated caller; <see cref="Caller.Anonymous"/> when no authentication ran (auth off).</summary>
    public static Caller GetCaller(this HttpContext ctx) =>
        ctx.Items.TryGetValue(ItemKey, out var c) && c is Caller caller ? caller : Caller.Anonymous;

    /// <summary>The caller only when authentication established one (audit rows of rejected requests carry none).</summary>
    public static bool TryGetCaller(this HttpContext ctx, out Caller? caller)
    {
        caller = ctx.Items.TryGetValue(ItemKey, out var c) ? c as Caller : null;
        return caller is not null;
    }

    public static void SetCaller(this HttpContext ctx, Caller caller) => ctx.Items[ItemKey] = caller;

    /// <summary>The caller, or 403 when its key lacks <paramref name="scope"/>.</summary>
    public static Caller RequireScope(this HttpContext ctx, string scope)
    {
        var caller = ctx.GetCaller();
        if (!caller.HasScope(scope))
        {
            throw new ApiError(403, ErrorCodes.InsufficientScope,
                $"This API key lacks the '{scope}' scope. Fix: use a key created with --scope {scope}");
        }

        return caller;
    }
}
