using System.Text.Json;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Completions;

/// <summary>POST /v1/completions: continues a raw prompt (text or token ids).</summary>
public static class CompletionHandler
{
    public static async Task HandleAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var req = await RequestReader.ReadAsync<CompletionRequest>(ctx, state.Options.MaxBodyBytes);
        SamplingMapper.CheckCommon(req);
        var backend = state.ResolveModelFor(ctx, req.Model, out string? adapter);
        if (req.Echo == true)
        {
            throw ApiError.Unsupported("echo");
        }

        if (req.BestOf is { } bo && bo != 1)
        {
            throw ApiError.BadRequest($"best_of must be 1 (got {bo})", "best_of");
        }

        if (req.Suffix is not null)
        {
            throw ApiError.Unsupported("suffix");
        }

        int[] ids = PromptTokens(req.Prompt, backend);
        int? lpCount = req.Logprobs;
        if (lpCount is { } k && (k < 0 || k > 20))
        {
            throw ApiError.BadRequest($"logprobs must be between 0 and 20 (got {k})", "logprobs");
        }

        var grammar = StructuredOutput.Resolve(req, null, backend);
        var genRequest = SamplingMapper.Build(req, backend, ids, req.MaxTokens ?? 16, lpCount is not null, lpCount ?? 0, grammar).ForCaller(ctx, state, adapter);
        string id = "cmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var formatter = lpCount is not null ? new LogprobFormatter(backend) : null;
        using var runner = new GenerationRunner(ctx, state, backend);
        if (req.Stream == true)
        {
            await runner.StreamAsync(genRequest, new CompletionStreamShaper(id, created, backend.ModelId, formatter, req.StreamOptions?.IncludeUsage == true));
            return;
        }

        string? cacheKey = ResponseCaching.KeyFor(state, ctx, backend.ModelId, adapter, genRequest);
        if (await ResponseCaching.TryReplayAsync(ctx, state, cacheKey, id, created))
        {
            return;
        }

        var result = await runner.RunAsync(genRequest);
        var body = new TextCompletion(id, "text_completion", created, backend.ModelId,
            [new TextChoice(result.Text, 0, formatter is null ? null : Logprobs(result, formatter), SamplingMapper.FinishReasonName(result.FinishReason))],
            Usage.Of(result.PromptTokenIds.Length, result.TokenIds.Length, result.CachedTokens), null);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body, GatewayJson.Options);
        await ResponseCaching.StoreAsync(ctx, state, cacheKey, bytes);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    private static TextLogprobs Logprobs(GenerationResult result, LogprobFormatter f)
    {
        var lp = new TextLogprobs([], [], [], []);
        int offset = 0;
        foreach (var s in result.Samples)
        {
            string text = f.TokenText(s.TokenId);
            lp.Tokens.Add(text);
            lp.TokenLogprobs.Add(LogprobFormatter.Finite(s.Logprob));
            lp.TopLogprobs.Add(f.CompletionTop(s));
            lp.TextOffset.Add(offset);
            offset += text.Length;
        }

        return lp;
    }

    /// <summary>One prompt as token ids: text is encoded; ids are checked against the vocabulary.</summary>
    internal static int[] PromptTokens(JsonElement? prompt, IInferenceBackend backend)
    {
        if (prompt is not { } p || p.ValueKind == JsonValueKind.Null)
        {
            throw ApiError.BadRequest("prompt is required", "prompt");
        }

        if (p.ValueKind == JsonValueKind.String)
        {
            return backend.Encode(p.GetString()!);
        }

        if (p.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.BadRequest("prompt must be a string, an array of token ids, or an array of one of those", "prompt");
        }

        int n = p.GetArrayLength();
        if (n == 0)
        {
            throw ApiError.BadRequest("prompt must not be an empty array", "prompt");
        }

        var first = p[0];
        if (first.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            if (n != 1)
            {
                throw ApiError.BadRequest($"prompt holds {n} prompts; this server takes one prompt per request", "prompt");
            }

            return first.ValueKind == JsonValueKind.String ? backend.Encode(first.GetString()!) : TokenIds(first, backend, "prompt[0]");
        }

        return TokenIds(p, backend, "prompt");
    }

    private static int[] TokenIds(JsonElement arr, IInferenceBackend backend, string param)
    {
        var ids = new int[arr.GetArrayLength()];
        int i = 0;
        foreach (var e in arr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id) || (uint)id >= (uint)backend.VocabSize)
            {
                throw ApiError.BadRequest($"{param}[{i}] must be a token id between 0 and {backend.VocabSize - 1}", $"{param}[{i}]");
            }

            ids[i++] = id;
        }

        return ids;
    }
}
