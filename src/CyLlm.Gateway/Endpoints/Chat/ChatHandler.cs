using System.Text;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Endpoints.Shared;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CyLlm.Gateway.Endpoints.Chat;

/// <summary>POST /v1/chat/completions: renders the messages with the model's chat template and generates.</summary>
public static class ChatHandler
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant" };

    public static async Task HandleAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var req = await RequestReader.ReadAsync<ChatCompletionRequest>(ctx, state.Options.MaxBodyBytes);
        SamplingMapper.CheckCommon(req);
        var backend = state.ResolveModelFor(ctx, req.Model, out string? adapter);
        var grammar = StructuredOutput.Resolve(req, req.ResponseFormat, backend);

        var messages = ToMessages(req.Messages);
        bool logprobs = req.Logprobs ?? false;
        int top = req.TopLogprobs ?? 0;
        if (top > 0 && !logprobs)
        {
            throw ApiError.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs");
        }

        int[] ids = backend.EncodeChat(messages);
        var genRequest = SamplingMapper.Build(req, backend, ids, req.MaxCompletionTokens ?? req.MaxTokens, logprobs, top, grammar).ForCaller(ctx, state, adapter);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var formatter = logprobs ? new LogprobFormatter(backend) : null;
        using var runner = new GenerationRunner(ctx, state, backend);
        if (req.Stream == true)
        {
            await runner.StreamAsync(genRequest, new ChatStreamShaper(id, created, backend.ModelId, formatter, req.StreamOptions?.IncludeUsage == true));
            return;
        }

        string? cacheKey = ResponseCaching.KeyFor(state, ctx, backend.ModelId, adapter, genRequest);
        if (await ResponseCaching.TryReplayAsync(ctx, state, cacheKey, id, created))
        {
            return;
        }

        var result = await runner.RunAsync(genRequest);
        ChatLogprobs? lp = null;
        if (formatter is not null)
        {
            var content = new List<ChatTokenLogprob>(result.Samples.Count);
            foreach (var s in result.Samples)
            {
                content.Add(formatter.Chat(s));
            }

            lp = new ChatLogprobs(content);
        }

        var body = new ChatCompletion(id, "chat.completion", created, backend.ModelId,
            [new ChatChoice(0, new ChatResponseMessage("assistant", result.Text), lp, SamplingMapper.FinishReasonName(result.FinishReason))],
            Usage.Of(result.PromptTokenIds.Length, result.TokenIds.Length, result.CachedTokens), null);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body, GatewayJson.Options);
        await ResponseCaching.StoreAsync(ctx, state, cacheKey, bytes);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    /// <summary>Validates the messages and flattens content parts to text; "developer" is rendered as "system".</summary>
    internal static List<ChatMessage> ToMessages(List<ChatMessageDto>? dtos)
    {
        if (dtos is null || dtos.Count == 0)
        {
            throw ApiError.BadRequest("messages must be a non-empty array", "messages");
        }

        if (dtos.Count > SamplingMapper.MaxMessages)
        {
            throw ApiError.BadRequest($"messages has {dtos.Count} entries; at most {SamplingMapper.MaxMessages} are allowed", "messages");
        }

        var list = new List<ChatMessage>(dtos.Count);
        for (int i = 0; i < dtos.Count; i++)
        {
            var m = dtos[i] ?? throw ApiError.BadRequest($"messages[{i}] must be an object", $"messages[{i}]");
            if (m.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported($"messages[{i}].{m.Extra.Keys.First()}");
            }

            if (m.Role is null || !Roles.Contains(m.Role))
            {
                throw ApiError.BadRequest($"messages[{i}].role must be one of system, developer, user, assistant (got '{m.Role}')", $"messages[{i}].role");
            }

            string role = m.Role == "developer" ? "system" : m.Role;
            list.Add(new ChatMessage(role, ContentText(m.Content, i)));
        }

        return list;
    }

    private static string ContentText(JsonElement? content, int i)
    {
        string param = $"messages[{i}].content";
        if (content is not { } c || c.ValueKind == JsonValueKind.Null)
        {
            throw ApiError.BadRequest($"{param} is required", param);
        }

        if (c.ValueKind == JsonValueKind.String)
        {
            return c.GetString()!;
        }

        if (c.ValueKind != JsonValueKind.Array)
        {
            throw ApiError.BadRequest($"{param} must be a string or an array of text parts", param);
        }

        var sb = new StringBuilder();
        int j = 0;
        foreach (var part in c.EnumerateArray())
        {
            string partParam = $"{param}[{j}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                throw ApiError.BadRequest($"{partParam} must be an object with a type", partParam);
            }

            if (type.GetString() != "text")
            {
                throw ApiError.Unsupported($"{partParam}.type");
            }

            if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                throw ApiError.BadRequest($"{partParam}.text must be a string", $"{partParam}.text");
            }

            sb.Append(text.GetString());
            j++;
        }

        return sb.ToString();
    }
}
