using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Idempotency;
using CyLlm.Gateway.Json;
using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Batches;

/// <summary>
/// POST /v1/batches: checks the request and the input file synchronously (owner, purpose), creates the batch task
/// (status <c>validating</c>) and wakes the <see cref="BatchWorker"/>, which validates the lines against the endpoint
/// and runs them. Honours <c>Idempotency-Key</c>.
/// </summary>
public static class BatchCreateHandler
{
    public static readonly IReadOnlyList<string> Endpoints = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];

    public const int MaxMetadataPairs = 16;
    public const int MaxMetadataKey = 64;
    public const int MaxMetadataValue = 512;

    public static async Task<IResult> HandleAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        _ = IdempotencyKeys.ReadKey(ctx);
        byte[] body = await RequestReader.ReadBodyAsync(ctx, state.Options.MaxBodyBytes);
        ctx.Request.Body = new MemoryStream(body, writable: false);
        ctx.Request.ContentLength = body.Length;
        var req = await RequestReader.ReadAsync<CreateBatchRequest>(ctx, state.Options.MaxBodyBytes);
        if (req.Extra is { Count: > 0 })
        {
            throw ApiError.Unsupported(req.Extra.Keys.First());
        }

        string endpoint = req.Endpoint ?? throw ApiError.BadRequest("endpoint is required: one of " + string.Join(", ", Endpoints), "endpoint");
        if (!Endpoints.Contains(endpoint))
        {
            throw ApiError.BadRequest($"endpoint must be one of {string.Join(", ", Endpoints)} (got '{Short(endpoint)}')", "endpoint");
        }

        if (req.CompletionWindow != "24h")
        {
            throw ApiError.BadRequest($"completion_window must be '24h' (got '{Short(req.CompletionWindow ?? "null")}')", "completion_window");
        }

        var metadata = Metadata(req.Metadata);
        string fileId = req.InputFileId ?? throw ApiError.BadRequest("input_file_id is required", "input_file_id");
        var file = FileIds.IsWellFormed(fileId) ? await state.Store.GetFileAsync(caller.TenantId, fileId, ctx.RequestAborted) : null;
        if (file is null)
        {
            throw FileRoutes.NotFound(fileId, "input_file_id");
        }

        if (file.Purpose != "batch")
        {
            throw ApiError.BadRequest($"input_file_id '{fileId}' has purpose '{file.Purpose}'; a batch needs a file uploaded with purpose 'batch'", "input_file_id");
        }

        var input = new StoredBatchInput(fileId, endpoint, req.CompletionWindow, metadata, caller.KeyId, caller.KeyPrefix, caller.AllowedModels);
        var outcome = await IdempotencyKeys.RunAsync(ctx, state, IdempotencyKeys.HashOf(ctx, body), async ct =>
        {
            var task = TaskStateMachine.Create(TaskId.New(TaskKind.Batch), caller.TenantId, state.Time.GetUtcNow(), input.ToJson());
            task = await state.Store.CreateTaskAsync(task, ct);
            return (200, IdempotencyKeys.Json(BatchMapper.ToObject(task, [])));
        });
        if (!outcome.Replayed)
        {
            ctx.RequestServices.GetService<BatchWorker>()?.Wake();
        }

        return IdempotencyKeys.ToResult(ctx, outcome);
    }

    private static Dictionary<string, string>? Metadata(Dictionary<string, JsonElement>? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        if (metadata.Count > MaxMetadataPairs)
        {
            throw ApiError.BadRequest($"metadata has {metadata.Count} pairs; at most {MaxMetadataPairs} are allowed", "metadata");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > MaxMetadataKey)
            {
                throw ApiError.BadRequest($"metadata keys must be 1 to {MaxMetadataKey} characters", "metadata");
            }

            if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length > MaxMetadataValue)
            {
                throw ApiError.BadRequest($"metadata values must be strings of at most {MaxMetadataValue} characters", $"metadata.{key}");
            }

            result[key] = value.GetString()!;
        }

        return result;
    }

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
