using System.Text.RegularExpressions;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Endpoints.Models;

/// <summary>
/// Base models at run time (Ollama's load/unload, vLLM's multi-model routers): <c>POST /v1/admin/models</c> loads a
/// model beside the served ones, <c>DELETE /v1/admin/models/{id}</c> unloads one (not the default). Base models are
/// shared by every tenant, so only the operator (tenant <c>system</c> with the admin scope) may do either. A model that
/// would not fit <c>Gateway:MemoryBudgetBytes</c> beside the loaded ones is refused with the numbers before any byte is
/// mapped; an unloaded model stops taking requests at once and is released when its running requests have finished.
/// </summary>
public static partial class ModelAdminRoutes
{
    public static IEndpointRouteBuilder MapModelAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/admin/models", async (HttpContext ctx) =>
        {
            var caller = RequireOperator(ctx);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var log = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.Model");
            var req = await RequestReader.ReadAsync<LoadModelRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported(req.Extra.Keys.First());
            }

            string path = req.Model is { Length: > 0 } m ? Path.GetFullPath(m) : throw ApiError.BadRequest("model is required: the path of a model file or folder on the server", "model");
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                throw ApiError.BadRequest($"no model file or folder at {path}", "model");
            }

            string id = req.Id ?? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path));
            if (!IdPattern().IsMatch(id))
            {
                throw ApiError.BadRequest($"'{id}' is not a model id: 1 to 128 letters, digits, '.', '_' or '-' (':' separates a base from its adapter)", "id");
            }

            var taken = new ApiError(409, ErrorCodes.InvalidRequest, $"a model or adapter named '{id}' is already served. Fix: pass another \"id\", or unload it first", "id");
            if (ServedModels.Find(state, id) is not null || state.Backends.Any(b => b.Adapters.Contains(id)))
            {
                throw taken;
            }

            CheckMemory(state, path);
            var host = new ModelHost(state.Options with { ModelPath = path, ModelId = id, ModelPaths = null, BackendFactory = null }, log);
            if (!state.TryAddModel(host))
            {
                // Another load of the same id won the race: this one is released once its background load ends.
                _ = host.Loading.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
                throw taken;
            }

            try
            {
                await host.Loading;
            }
            catch (Exception e) when (e is CyLlm.Models.ModelFormatException or InvalidOperationException or NotSupportedException or IOException or InsufficientMemoryException or UnauthorizedAccessException)
            {
                state.RemoveModel(id);
                host.Dispose();
                throw new ApiError(400, e is InsufficientMemoryException ? ErrorCodes.InsufficientMemory : ErrorCodes.InvalidRequest, $"cannot load {path}: {e.Message}. Fix: check the file with cyllm inspect, or load another", "model");
            }

            log.LogInformation("model {Model} loaded at run time from {Path} by the operator", id, path);
            return JsonResults.Ok(new { status = "loaded", id = host.Backend!.ModelId, context = host.Backend.ContextTokens });
        }).WithMetadata(new RequiredScope(AuthScopes.Admin));

        app.MapDelete("/v1/admin/models/{id}", (HttpContext ctx, string id) =>
        {
            RequireOperator(ctx);
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            if (ServedModels.Find(state, id) is { } found && ReferenceEquals(found, state.Model))
            {
                throw new ApiError(409, ErrorCodes.InvalidRequest, $"'{id}' is the default model and cannot be unloaded. Fix: restart the server with another first --model", "id");
            }

            // An adapter's id ("ft:...", "base:adapter") is not a base model: the 404 names the route that unloads it.
            string fix = id.Contains(':', StringComparison.Ordinal)
                ? $"'{id}' names an adapter; unload it with POST /v1/unload_lora_adapter {{\"lora_name\": \"{id}\"}}"
                : "GET /v1/models lists them";
            var host = state.RemoveModel(id) ?? throw new ApiError(404, ErrorCodes.ModelNotFound, $"no base model '{id}' is served. Fix: {fix}", "id");
            _ = ReleaseWhenIdleAsync(host, state, ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CyLlm.Gateway.Model"));
            return JsonResults.Ok(new { status = "unloaded", id });
        }).WithMetadata(new RequiredScope(AuthScopes.Admin));
        return app;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex IdPattern();

    private static Caller RequireOperator(HttpContext ctx)
    {
        var caller = ctx.RequireScope(AuthScopes.Admin);
        return caller.IsOperator ? caller : throw new ApiError(403, ErrorCodes.InsufficientScope,
            "Base models are shared by every tenant: only the operator (tenant system) loads and unloads them. Fix: ask the operator, or load a LoRA adapter (POST /v1/load_lora_adapter)");
    }

    /// <summary>Refuses a model whose weights and KV cache would not fit beside the served ones, with the numbers.</summary>
    private static void CheckMemory(GatewayState state, string path)
    {
        long budget = state.Options.MemoryBudgetBytes > 0 ? state.Options.MemoryBudgetBytes : CyLlm.Engine.MemoryBudget.Available();
        long kv = state.Options.KvCacheBytes;
        long used = 0;
        foreach (var b in state.Backends)
        {
            if (b is EngineBackend e)
            {
                used += e.Engine.Model.FileBytes + kv;
            }
        }

        long weights = File.Exists(path) ? new FileInfo(path).Length : new DirectoryInfo(path).EnumerateFiles("*.safetensors").Sum(f => f.Length);
        if (used + weights + kv > budget)
        {
            static string Mb(long b) => $"{b / (1 << 20):N0} MiB";
            throw new ApiError(400, ErrorCodes.InsufficientMemory,
                $"not enough memory for {Path.GetFileName(path)}: it needs {Mb(weights + kv)} ({Mb(weights)} of weights + {Mb(kv)} of KV cache), " +
                $"the served models use {Mb(used)} of the {Mb(budget)} budget. Fix: unload a model (DELETE /v1/admin/models/ID), " +
                "load a smaller quantization, or raise Gateway:MemoryBudgetBytes / lower --kv-cache-bytes", "model");
        }
    }

    /// <summary>Disposes an unloaded model once nothing runs or waits on it (polled on the server's clock), at most after the request timeout.</summary>
    private static async Task ReleaseWhenIdleAsync(ModelHost host, GatewayState state, ILogger log)
    {
        var deadline = state.Time.GetUtcNow() + state.Options.RequestTimeout;
        while (host.Backend is { } b && (b.Waiting > 0 || (b.Status?.Running ?? 0) > 0) && state.Time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), state.Time).ConfigureAwait(false);
        }

        host.Dispose();
        log.LogInformation("model {Model} released", host.ModelId);
    }
}
