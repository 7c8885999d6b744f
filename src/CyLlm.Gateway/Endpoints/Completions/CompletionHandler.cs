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
        var (backend, adapter) = await state.ResolveModelForAsync(ctx, req.Model);
        if (req.Suffix is not null)
        {
            throw ApiError.Unsupported("suffix");
        }

        int n = SamplingMapper.Choices(req.N, state.Options.MaxChoices);
        // best_of: that many candidates, the n with the highest logprob per token returned (OpenAI); not streamed.
        int candidates = req.BestOf is { } bo ? SamplingMapper.Choices(bo, state.Options.MaxChoices, "best_of") : n;
        if (candidates < n)
        {
            throw ApiError.BadRequest($"best_of ({candidates}) must be at least n ({n})", "best_of");
        }

        if (candidates > n && req.Stream == true)
        {
            throw ApiError.BadRequest("best_of cannot be streamed: the best choices are known only at the end", "best_of");
        }

        int[] ids = PromptTokens(req.Prompt, backend);
        int? lpCount = req.Logprobs;
        if (lpCount is { } k && (k < 0 || k > 20))
        {
            throw ApiError.BadRequest($"logprobs must be between 0 and 20 (got {k})", "logprobs");
        }

        bool echo = req.Echo == true;
        if (echo && lpCount is not null && !backend.SupportsPromptLogprobs)
        {
            throw ApiError.BadRequest("echo with logprobs needs the serving engine to score the prompt; this model's backend cannot (single-stream or disaggregated). Fix: drop logprobs or echo, or serve the model with continuous batching", "echo");
        }

        var grammar = StructuredOutput.Resolve(req, null);
        var genRequest = SamplingMapper.Build(req, backend, ids, req.MaxTokens ?? 16, lpCount is not null || candidates > n, lpCount ?? 0, grammar, allowZeroMaxTokens: echo).ForCaller(ctx, state, adapter);
        if (echo && lpCount is not null)
        {
            genRequest = genRequest with { PromptLogprobs = lpCount };
        }

        string id = "cmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var formatter = lpCount is not null ? new LogprobFormatter(backend) : null;
        string promptText = echo ? EchoText(req.Prompt, ids, backend) : "";
        using var runner = new GenerationRunner(ctx, state, backend);
        if (req.Stream == true)
        {
            bool usage = req.StreamOptions?.IncludeUsage == true;
            var shapers = new StreamShaper[n];
            for (int i = 0; i < n; i++)
            {
                // With logprobs the first chunk (the prompt) waits for the prefill's prompt logprobs, not for the answer.
                shapers[i] = new CompletionStreamShaper(id, created, backend.ModelId, formatter, usage && i == 0, i, echo ? new EchoedPrompt(promptText, null) : null,
                    echo && formatter is not null ? scored => PromptLogprobs(scored, ids, formatter) : null);
            }

            await runner.StreamManyAsync(genRequest, shapers);
            return;
        }

        string? cacheKey = n == 1 && candidates == 1 && !echo ? ResponseCaching.KeyFor(state, ctx, backend.ModelId, adapter, genRequest) : null;
        if (await ResponseCaching.TryReplayAsync(ctx, state, cacheKey, id, created))
        {
            return;
        }

        var results = await runner.RunManyAsync(genRequest, candidates);
        var chosen = candidates > n ? [.. results.OrderByDescending(MeanLogprob).Take(n)] : results;
        var choices = new TextChoice[n];
        for (int i = 0; i < n; i++)
        {
            var r = chosen[i];
            TextLogprobs? lp = formatter is null ? null : Logprobs(echo ? results[0].PromptLogprobs : null, echo ? ids : null, r, formatter);
            choices[i] = new TextChoice(promptText + r.Text, i, lp, SamplingMapper.FinishReasonName(r.FinishReason));
        }

        var body = new TextCompletion(id, "text_completion", created, backend.ModelId, choices,
            Usage.Of(results[0].PromptTokenIds.Length, results.Sum(r => r.TokenIds.Length), results[0].CachedTokens), null);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body, GatewayJson.Options);
        await ResponseCaching.StoreAsync(ctx, state, cacheKey, bytes);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    /// <summary>best_of's ranking: the mean logprob of a choice's tokens (an empty choice ranks last).</summary>
    private static double MeanLogprob(GenerationResult r) => r.Samples.Count == 0 ? double.NegativeInfinity : r.Samples.Average(s => (double)s.Logprob);

    /// <summary>The prompt as echo returns it: the client's text when it sent text, else its token ids decoded.</summary>
    private static string EchoText(JsonElement? prompt, int[] ids, IInferenceBackend backend)
    {
        if (prompt is { ValueKind: JsonValueKind.String } p)
        {
            return p.GetString()!;
        }

        if (prompt is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.String)
        {
            return a[0].GetString()!;
        }

        return backend.Decode(ids);
    }

    /// <summary>Legacy logprobs of one choice: the echoed prompt's tokens first (when given; the first null), then the completion's.</summary>
    private static TextLogprobs Logprobs(IReadOnlyList<CyLlm.Engine.Sampling.SampleResult?>? promptLogprobs, int[]? promptIds, GenerationResult result, LogprobFormatter f)
    {
        var lp = promptLogprobs is not null && promptIds is not null ? PromptLogprobs(promptLogprobs, promptIds, f) : new TextLogprobs([], [], [], []);
        int offset = lp.Tokens.Sum(t => t.Length);

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

    /// <summary>The echoed prompt's legacy logprobs (the first token's null; a position not scored, null too), offsets from 0.
    /// Also the first chunk of a stream, so streamed and whole answers agree.</summary>
    internal static TextLogprobs PromptLogprobs(IReadOnlyList<CyLlm.Engine.Sampling.SampleResult?>? promptLogprobs, int[] promptIds, LogprobFormatter f)
    {
        var lp = new TextLogprobs([], [], [], []);
        int offset = 0;
        for (int i = 0; i < promptIds.Length; i++)
        {
            string text = f.TokenText(promptIds[i]);
            lp.Tokens.Add(text);
            var s = promptLogprobs is not null && i < promptLogprobs.Count ? promptLogprobs[i] : null;
            lp.TokenLogprobs.Add(s is { } v ? LogprobFormatter.Finite(v.Logprob) : null);
            lp.TopLogprobs.Add(s is { } w ? f.CompletionTop(w) : null);
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
