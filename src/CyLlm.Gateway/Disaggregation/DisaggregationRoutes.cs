using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Sampling.Grammars;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The worker side of disaggregated serving over HTTP (the router calls these): POST /internal/disaggregation/prefill
/// on a prefill worker, POST /internal/disaggregation/decode on a decode worker (one JSON answer at the end, or NDJSON
/// lines as tokens are generated when the request asks for <c>stream</c>; see <see cref="DecodeStreamWriter"/>).
/// </summary>
public static class DisaggregationRoutes
{
    public static WebApplication MapDisaggregation(this WebApplication app)
    {
        app.Lifetime.ApplicationStopping.Register(() =>
            DisaggregationWorker.StopAsync(app.Services.GetRequiredService<GatewayState>()).GetAwaiter().GetResult());
        app.MapPost("/internal/disaggregation/prefill", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var worker = DisaggregationWorker.For(state, ServeRole.Prefill, ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<RedisBootstrapRegistry>());
            var req = await RequestReader.ReadAsync<PrefillWorkRequest>(ctx, state.Options.MaxBodyBytes);
            CheckPrompt(req.PromptTokens, req.BootstrapRoom);
            await AdmitTokensAsync(ctx, req.PromptTokens.Length);
            using var timer = new CancellationTokenSource(state.Options.RequestTimeout, state.Options.Time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, timer.Token);
            try
            {
                await worker.Prefill!.PrefillAsync(new RoomId(req.BootstrapRoom),
                    new ServingRequest(req.PromptTokens, new SamplingParams { Temperature = 0, MaxTokens = 1 }) { CacheSalt = req.CacheSalt }, deadline.Token);
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                throw TimedOut(state);
            }
            catch (KvTransferException ex)
            {
                throw DisaggregationErrors.From(ex);
            }
            catch (ArgumentException ex) when (ex.GetType() == typeof(ArgumentException)) // typed ones (context, KV) map in EngineErrors
            {
                throw ApiError.BadRequest(ex.Message, "prompt_tokens");
            }

            return JsonResults.Ok(new { bootstrap_room = req.BootstrapRoom, status = "success" });
        });
        app.MapPost("/internal/disaggregation/decode", async (HttpContext ctx) =>
        {
            var state = ctx.RequestServices.GetRequiredService<GatewayState>();
            var worker = DisaggregationWorker.For(state, ServeRole.Decode, ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<RedisBootstrapRegistry>());
            var req = await RequestReader.ReadAsync<DecodeWorkRequest>(ctx, state.Options.MaxBodyBytes);
            CheckPrompt(req.PromptTokens, req.BootstrapRoom);
            var sampling = SamplingOf(req, state.RequireBackend().VocabSize);
            if (sampling.Grammar is not null)
            {
                // Tells the router this worker read the grammar field (an older one ignores it and answers free text).
                ctx.Response.Headers[DecodeWorkRequest.GrammarHeader] = "enforced";
            }

            await AdmitTokensAsync(ctx, (long)req.PromptTokens.Length + sampling.MaxTokens);
            using var timer = new CancellationTokenSource(state.Options.RequestTimeout, state.Options.Time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, timer.Token);
            ServingHandle handle;
            try
            {
                handle = await worker.Decode!.GenerateAsync(new RoomId(req.BootstrapRoom), new ServingRequest(req.PromptTokens, sampling) { CacheSalt = req.CacheSalt }, deadline.Token);
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                throw TimedOut(state);
            }
            catch (KvTransferException ex)
            {
                throw DisaggregationErrors.From(ex);
            }
            catch (ArgumentException ex) when (ex.GetType() == typeof(ArgumentException)) // typed ones (context, KV) map in EngineErrors
            {
                throw ApiError.BadRequest(ex.Message, "prompt_tokens");
            }

            if (req.Stream)
            {
                await DecodeStreamWriter.WriteAsync(ctx, req.PromptTokens.Length, handle, sampling.Logprobs || sampling.TopLogprobs > 0);
                return Results.Empty;
            }

            var ids = new List<int>();
            var pieces = new List<string>();
            try
            {
                await foreach (var t in handle.ReadAllAsync(deadline.Token))
                {
                    ids.Add(t.TokenId);
                    pieces.Add(t.TextDelta);
                }
            }
            catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                throw TimedOut(state);
            }

            var result = await handle.Completion;
            return JsonResults.Ok(new DecodeWorkResponse
            {
                BootstrapRoom = req.BootstrapRoom,
                TokenIds = result.TokenIds,
                PieceIds = [.. ids],
                Pieces = [.. pieces],
                Text = result.Text,
                FinishReason = result.FinishReason.ToString().ToLowerInvariant(),
            });
        });
        return app;
    }

    /// <summary>Charges <paramref name="estimate"/> tokens to the caller's (the router's worker key's) token limits, as
    /// the public generation routes do; 429 when they do not fit. The estimate is not settled: a worker call's prompt
    /// and max_tokens are known up front, and an overcharge only errs on the side of the limit.</summary>
    internal static async Task AdmitTokensAsync(HttpContext ctx, long estimate)
    {
        if (ctx.RequestServices.GetService<RateLimits.RateLimiter>() is { Enabled: true } limiter)
        {
            await limiter.AdmitTokensAsync(ctx, estimate);
        }
    }

    /// <summary>The answer when a worker call ran past the total request timeout (--request-timeout), the bound every
    /// public generation route has, on the server's clock: a worker call cannot hold a sequence slot forever.</summary>
    internal static ApiError TimedOut(GatewayState state) =>
        new(504, ErrorCodes.Timeout, $"The worker request took longer than the total request timeout of {state.Options.RequestTimeout.TotalSeconds:0.###} s. Fix: ask for fewer tokens (max_tokens), or raise --request-timeout on the worker");

    /// <summary>The worker's sampling settings for <paramref name="req"/>, with the co-located path's checks (token ids
    /// inside this model's vocabulary of <paramref name="vocab"/>, list sizes, ranges); each failure is a 400.</summary>
    internal static SamplingParams SamplingOf(DecodeWorkRequest req, int vocab)
    {
        SamplingMapper.CheckListSizes(req.LogitBias?.Count ?? 0, req.StopTokenIds.Length);
        foreach (var (id, _) in req.LogitBias ?? [])
        {
            if ((uint)id >= (uint)vocab)
            {
                throw SamplingMapper.LogitBiasKeyError(id.ToString(System.Globalization.CultureInfo.InvariantCulture), vocab);
            }
        }

        SamplingMapper.CheckStopTokenIds(req.StopTokenIds, vocab);
        if (req.MaxTokens < 1)
        {
            // The engine takes 0 (prompt scoring for echo), which the disaggregated path does not serve.
            throw ApiError.BadRequest($"max_tokens must be at least 1 (got {req.MaxTokens})", "max_tokens");
        }

        var sampling = new SamplingParams
        {
            Temperature = req.Temperature,
            TopP = req.TopP,
            TopK = req.TopK,
            MinP = req.MinP,
            RepetitionPenalty = req.RepetitionPenalty,
            PresencePenalty = req.PresencePenalty,
            FrequencyPenalty = req.FrequencyPenalty,
            LogitBias = req.LogitBias,
            Seed = req.Seed,
            MaxTokens = req.MaxTokens,
            MinTokens = req.MinTokens,
            IgnoreEos = req.IgnoreEos,
            RenderSpecialTokens = req.RenderSpecialTokens,
            Stop = req.Stop,
            StopTokenIds = req.StopTokenIds,
            Logprobs = req.Logprobs,
            TopLogprobs = req.TopLogprobs,
            Grammar = req.Grammar is { } grammar ? GrammarOf(grammar) : null,
        };
        if (sampling.Validate() is { } problem)
        {
            throw SamplingMapper.InvalidSampling(problem);
        }

        return sampling;
    }

    /// <summary>Compiles the router's grammar through this worker's grammar cache; a 400 naming the field when it cannot.</summary>
    private static Grammar GrammarOf(WorkGrammar wire)
    {
        var spec = wire.ToSpec(out string? bad) ?? throw ApiError.BadRequest(bad == "grammar.kind"
            ? $"'grammar.kind' must be gbnf, json_schema, regex or json_object (got '{wire.Kind}')"
            : "'grammar.source' is required", bad);
        try
        {
            return Grammar.FromSpec(spec);
        }
        catch (GrammarException e)
        {
            throw ApiError.BadRequest($"the grammar cannot be compiled on this worker: {e.Message.TrimEnd('.')}", "grammar.source");
        }
    }

    private static void CheckPrompt(int[] prompt, ulong room)
    {
        if (prompt.Length == 0)
        {
            throw ApiError.BadRequest("'prompt_tokens' is empty", "prompt_tokens");
        }

        if (room == 0)
        {
            throw ApiError.BadRequest("'bootstrap_room' must be a non-zero id", "bootstrap_room");
        }
    }
}
