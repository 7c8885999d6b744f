using System.Text;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> handling for every POST that creates something (files, batches, fine-tuning jobs). A handler
/// computes the request's hash and passes its creating step to <see cref="RunAsync"/>:
/// <list type="bullet">
/// <item>no key: the step runs;</item>
/// <item>a new key (per tenant, remembered for <see cref="GatewayOptions.IdempotencyKeyTtl"/>): the step runs once and
/// its status and body are stored;</item>
/// <item>the same key and request again: the stored status and body, with <c>Idempotent-Replayed: true</c>;</item>
/// <item>the same key with another request: 422 <c>idempotency_key_conflict</c>;</item>
/// <item>the same key while the first request still runs: 409 <c>idempotency_key_in_progress</c> with <c>Retry-After</c>.</item>
/// </list>
/// A step that throws releases the key, so a failed request can be retried with it.
/// </summary>
public static class IdempotencyKeys
{
    public const string KeyHeader = "Idempotency-Key";

    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Longest accepted key (Stripe's limit); longer keys are refused with 400.</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The request's key, null when absent; 400 when empty, too long or not printable ASCII.</summary>
    public static string? ReadKey(HttpContext ctx)
    {
        if (!ctx.Request.Headers.TryGetValue(KeyHeader, out var values))
        {
            return null;
        }

        string? key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw new ApiError(400, ErrorCodes.InvalidRequest,
                $"The {KeyHeader} header must be one value of 1 to {MaxKeyLength} characters. Fix: send one key per request, e.g. a UUID", KeyHeader);
        }

        foreach (char c in key)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                throw new ApiError(400, ErrorCodes.InvalidRequest,
                    $"The {KeyHeader} header may contain only printable ASCII characters without spaces. Fix: use e.g. a UUID", KeyHeader);
            }
        }

        return key;
    }

    /// <summary>Hash of a JSON request: method, path and the raw body bytes.</summary>
    public static string HashOf(HttpContext ctx, ReadOnlySpan<byte> body) =>
        IdempotentRequest.Hash(ctx.Request.Method, ctx.Request.Path.Value ?? "", body);

    /// <summary>Hash of a request described by text (e.g. an upload: purpose, file name and the content's SHA-256).</summary>
    public static string HashOf(HttpContext ctx, string canonical) => HashOf(ctx, Encoding.UTF8.GetBytes(canonical));

    /// <summary>
    /// Runs <paramref name="create"/> under the request's key (if any) and returns the JSON response to send. <paramref name="create"/>
    /// returns the status and the JSON body of a success; it throws <see cref="ApiError"/> for failures (never stored).
    /// </summary>
    public static async Task<IdempotentOutcome> RunAsync(HttpContext ctx, GatewayState state, string requestHash,
        Func<CancellationToken, Task<(int StatusCode, string Json)>> create)
    {
        System.Diagnostics.Debug.Assert(requestHash.Length == 64, "request hashes are hex SHA-256");
        string? key = ReadKey(ctx);
        if (key is null)
        {
            var (status, json) = await create(ctx.RequestAborted);
            return new IdempotentOutcome(status, json, Replayed: false);
        }

        string tenant = ctx.GetCaller().TenantId;
        try
        {
            // The creating step must not be cut short by a client that goes away: the key would be abandoned while the
            // object was created, and a retry would create a second one.
            var result = await IdempotentRequest.ExecuteAsync(state.Store, tenant, key, requestHash, state.Options.IdempotencyKeyTtl,
                _ => create(CancellationToken.None), CancellationToken.None);
            return new IdempotentOutcome(result.StatusCode, result.Body, result.Replayed);
        }
        catch (IdempotencyKeyException e) when (e.Outcome == IdempotencyOutcome.Conflict)
        {
            throw new ApiError(422, ErrorCodes.IdempotencyKeyConflict,
                $"The {KeyHeader} '{Describe(key)}' was already used with a different request. Fix: use a new key for a new request, or resend the original request unchanged", KeyHeader);
        }
        catch (IdempotencyKeyException)
        {
            throw new ApiError(409, ErrorCodes.IdempotencyKeyInProgress,
                $"A request with the {KeyHeader} '{Describe(key)}' is still being processed. Fix: retry the same request in a second; it then returns the stored response", KeyHeader);
        }
    }

    /// <summary>Writes an outcome: the status, <c>Idempotent-Replayed: true</c> for a replay, and the JSON body.</summary>
    public static IResult ToResult(HttpContext ctx, IdempotentOutcome outcome)
    {
        if (outcome.Replayed)
        {
            ctx.Response.Headers[ReplayedHeader] = "true";
        }

        return Results.Text(outcome.Json, "application/json", Encoding.UTF8, outcome.StatusCode);
    }

    /// <summary>Serializes a response object with the gateway's JSON settings.</summary>
    public static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, GatewayJson.Options);

    private static string Describe(string key) => key.Length <= 40 ? key : key[..40] + "…";
}
