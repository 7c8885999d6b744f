using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Json;
using CyLlm.Jobs.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// Runs a batch line through the gateway's own endpoint (the same route handler an HTTP request reaches: chat,
/// completions or embeddings), in-process: a synthetic request context with the line's body, the batch tenant as the
/// <paramref name="caller"/> (see <see cref="ForBatch"/>) and a memory response body. Errors the handler throws become the line's OpenAI error object with its status,
/// exactly as the error middleware would write them.
/// </summary>
public sealed class InProcessBatchExecutor(IServiceProvider services, Caller caller) : IBatchLineExecutor
{
    /// <summary>Tries per line while the gateway answers 503/429 (queue full, overloaded): a busy server delays a line, it does not fail it.</summary>
    public const int MaxBusyRetries = 60;

    /// <summary>Wait between busy retries.</summary>
    public static readonly TimeSpan BusyRetryDelay = TimeSpan.FromSeconds(1);

    public async Task<BatchLineResponse> ExecuteAsync(BatchRequestLine line, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var response = await ExecuteOnceAsync(line, ct);
            if (response.StatusCode is not (503 or 429) || attempt >= MaxBusyRetries)
            {
                return response;
            }

            await Task.Delay(BusyRetryDelay, ct);
        }
    }

    private async Task<BatchLineResponse> ExecuteOnceAsync(BatchRequestLine line, CancellationToken ct)
    {
        System.Diagnostics.Debug.Assert(line.Method == "POST" && line.Url.StartsWith("/v1/", StringComparison.Ordinal), "BatchInput admits only POST /v1/ lines");
        ArgumentNullException.ThrowIfNull(line);
        if (IsStreaming(line.BodyJson))
        {
            return Error(ApiError.BadRequest("stream is not supported in a batch request", "stream"));
        }

        var endpoint = FindEndpoint(line.Url);
        if (endpoint is null)
        {
            return Error(new ApiError(404, ErrorCodes.NotFound, $"No endpoint POST {line.Url} to run the batch line on. Fix: use /v1/chat/completions, /v1/completions or /v1/embeddings"));
        }

        await using var scope = services.CreateAsyncScope();
        byte[] body = Encoding.UTF8.GetBytes(line.BodyJson);
        using var responseBody = new MemoryStream();
        var ctx = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = ct };
        ctx.Request.Method = HttpMethods.Post;
        ctx.Request.Scheme = "http";
        ctx.Request.Path = line.Url;
        ctx.Request.ContentType = "application/json";
        ctx.Request.ContentLength = body.Length;
        ctx.Request.Body = new MemoryStream(body, writable: false);
        ctx.Response.Body = responseBody;
        ctx.SetEndpoint(endpoint);
        ctx.SetCaller(caller);
        try
        {
            await endpoint.RequestDelegate!(ctx);
        }
        catch (ApiError e)
        {
            return Error(e);
        }

        return new BatchLineResponse(ctx.Response.StatusCode, Encoding.UTF8.GetString(responseBody.GetBuffer(), 0, (int)responseBody.Length));
    }

    /// <summary>The caller batch lines run as: the batch's tenant and creating key, with inference rights and that key's model allow-list.</summary>
    public static Caller ForBatch(string tenantId, string? keyId, string? keyPrefix, IReadOnlyList<string>? allowedModels) =>
        new(tenantId, keyId, keyPrefix, [AuthScopes.Inference], allowedModels ?? []);

    private static BatchLineResponse Error(ApiError e) =>
        new(e.Status, JsonSerializer.Serialize(ErrorWriter.ToBody(e), GatewayJson.Options));

    private static bool IsStreaming(string bodyJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(bodyJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private RouteEndpoint? FindEndpoint(string url)
    {
        foreach (var e in services.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (e is RouteEndpoint re && string.Equals(re.RoutePattern.RawText, url, StringComparison.Ordinal) && re.RequestDelegate is not null &&
                re.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>() is { } methods && methods.HttpMethods.Contains(HttpMethods.Post))
            {
                return re;
            }
        }

        return null;
    }
}
