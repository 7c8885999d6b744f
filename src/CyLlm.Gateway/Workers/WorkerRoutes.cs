using CyLlm.Engine.Generation;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Workers;

/// <summary>
/// The engine-worker side (every <c>cyllm serve</c> offers it; a gateway started with <c>--workers</c> calls it), under
/// <c>/internal/workers</c>, worker scope: <c>POST generate</c> takes a <see cref="DecodeWorkRequest"/> without a
/// bootstrap room — token ids and every sampling setting, the grammar by its source, the adapter's name — and generates
/// co-located on this server's default model, answering the decode stream's NDJSON lines (<see cref="DecodeStreamWriter"/>);
/// <c>POST embed</c> embeds one tokenized input; <c>GET status</c> is the heartbeat (<see cref="WorkerStatusReport"/>).
/// Errors before the first line are ordinary error objects with their status, so the gateway can pass them on.
/// </summary>
public static class WorkerRoutes
{
    public const string Prefix = "/internal/workers";

    public static WebApplication MapWorkers(this WebApplication app)
    {
        app.MapGet($"{Prefix}/status", (HttpContext ctx) =>
        {
            var backend = ctx.RequestServices.GetRequiredService<GatewayState>().RequireBackend();
            var status = backend.Status;
            return JsonResults.Ok(new WorkerStatusReport
            {
                Model = backend.ModelId,
                Running = status?.Running ?? 0,
                Waiting = status?.Waiting ?? backend.Waiting,
                Adapters = [.. backend.Adapters],
                Engine = status,
            });
        });
        app.MapPost($"{Prefix}/generate", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var backend = state.RequireBackend();
            var req = await RequestReader.ReadAsync<DecodeWorkRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.PromptTokens.Length == 0)
            {
                throw ApiError.BadRequest("'prompt_tokens' is empty", "prompt_tokens");
            }

            foreach (int id in req.PromptTokens)
            {
                if ((uint)id >= (uint)backend.VocabSize)
                {
                    throw ApiError.BadRequest($"'prompt_tokens' holds {id}, outside this worker's vocabulary of {backend.VocabSize}. Fix: serve the same model on the gateway and its workers", "prompt_tokens");
                }
            }

            var sampling = DisaggregationRoutes.SamplingOf(req, backend.VocabSize);
            if (sampling.Grammar is not null)
            {
                ctx.Response.Headers[DecodeWorkRequest.GrammarHeader] = "enforced";
            }

            await DisaggregationRoutes.AdmitTokensAsync(ctx, (long)req.PromptTokens.Length + sampling.MaxTokens);
            using var timer = new CancellationTokenSource(state.Options.RequestTimeout, state.Options.Time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, timer.Token);
            // Admission (a full queue, the context, the KV cache, an unknown adapter) throws here, before any line: the
            // error middleware answers it with its status, which the gateway passes on to its client.
            var generation = backend.Start(
                new GenerationRequest { PromptTokens = req.PromptTokens, Sampling = sampling, CacheSalt = req.CacheSalt, Adapter = req.Adapter, Priority = req.Priority },
                deadline.Token);
            try
            {
                await DecodeStreamWriter.WriteAsync(ctx, req.PromptTokens.Length, generation.Tokens.ReadAllAsync(deadline.Token), generation.Completion, sampling.Logprobs || sampling.TopLogprobs > 0);
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested && !ctx.Response.HasStarted)
            {
                throw DisaggregationRoutes.TimedOut(state);
            }

            return Results.Empty;
        });
        app.MapPost($"{Prefix}/embed", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var backend = state.RequireBackend();
            var req = await RequestReader.ReadAsync<EmbedWorkRequest>(ctx, state.Options.MaxBodyBytes);
            if (req.Tokens.Length == 0)
            {
                throw ApiError.BadRequest("'tokens' is empty", "tokens");
            }

            if (req.Tokens.Length > state.Options.MaxEmbeddingTokens)
            {
                throw ApiError.BadRequest($"'tokens' holds {req.Tokens.Length} tokens; this worker embeds at most {state.Options.MaxEmbeddingTokens}", "tokens");
            }

            foreach (int id in req.Tokens)
            {
                if ((uint)id >= (uint)backend.VocabSize)
                {
                    throw ApiError.BadRequest($"'tokens' holds {id}, outside this worker's vocabulary of {backend.VocabSize}", "tokens");
                }
            }

            var vectors = await EmbeddingGate.For(backend).EmbedAsync(backend, [req.Tokens], state.Options.MaxQueue, ctx.RequestAborted);
            return JsonResults.Ok(new EmbedWorkResponse { Embedding = vectors[0] });
        });
        return app;
    }
}
