using System.Text;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
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
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool" };

    public static async Task HandleAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var req = await RequestReader.ReadAsync<ChatCompletionRequest>(ctx, state.Options.MaxBodyBytes);
        SamplingMapper.CheckCommon(req);
        var (backend, adapter) = await state.ResolveModelForAsync(ctx, req.Model);
        var grammar = StructuredOutput.Resolve(req, req.ResponseFormat);

        var tools = ChatToolReader.Read(req);
        var messages = ToMessages(req.Messages);
        bool logprobs = req.Logprobs ?? false;
        int top = req.TopLogprobs ?? 0;
        if (top > 0 && !logprobs)
        {
            throw ApiError.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs");
        }

        int n = SamplingMapper.Choices(req.N, state.Options.MaxChoices);
        var dialect = backend.ToolDialect;
        string prefix = ForcedCallPrefix(tools, dialect);
        bool toolTurns = tools.Tools.Count > 0 || messages.Any(m => m.ToolCalls is not null || m.ToolCallId is not null);
        int[] ids = toolTurns ? backend.EncodeChat(messages, tools.Tools, prefix) : backend.EncodeChat(messages);
        var genRequest = SamplingMapper.Build(req, backend, ids, req.MaxCompletionTokens ?? req.MaxTokens, logprobs, top, grammar).ForCaller(ctx, state, adapter);
        if (tools.ParsesCalls || dialect.ParsesEveryReply)
        {
            // Call markers such as <|python_tag|> and [TOOL_CALLS] (and harmony's channel markup) are control tokens: the
            // parser must see them.
            genRequest = genRequest with { Sampling = genRequest.Sampling with { RenderSpecialTokens = true } };
        }

        genRequest = ConstrainToolCalls(genRequest, tools, dialect);
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var formatter = logprobs ? new LogprobFormatter(backend) : null;
        using var runner = new GenerationRunner(ctx, state, backend);
        if (req.Stream == true)
        {
            bool usage = req.StreamOptions?.IncludeUsage == true;
            var shapers = new StreamShaper[n];
            for (int i = 0; i < n; i++)
            {
                // One parser per choice: each holds back its own half-calls.
                shapers[i] = new ChatStreamShaper(id, created, backend.ModelId, formatter, usage && i == 0, Parser(tools, dialect, prefix), tools.Parallel, i);
            }

            await runner.StreamManyAsync(genRequest, shapers);
            return;
        }

        // Tool settings shape the answer without changing the prompt (parallel_tool_calls), so such answers are not
        // cached; nor are n > 1 answers.
        string? cacheKey = tools.Tools.Count > 0 || n > 1 ? null : ResponseCaching.KeyFor(state, ctx, backend.ModelId, adapter, genRequest);
        if (await ResponseCaching.TryReplayAsync(ctx, state, cacheKey, id, created))
        {
            return;
        }

        var results = await runner.RunManyAsync(genRequest, n);
        var choices = new ChatChoice[n];
        for (int i = 0; i < n; i++)
        {
            var result = results[i];
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

            var (message, finish) = Shape(result.Text, SamplingMapper.FinishReasonName(result.FinishReason), Parser(tools, dialect, prefix), tools.Parallel);
            choices[i] = new ChatChoice(i, message, lp, finish);
        }

        var body = new ChatCompletion(id, "chat.completion", created, backend.ModelId, choices,
            Usage.Of(results[0].PromptTokenIds.Length, results.Sum(r => r.TokenIds.Length), results[0].CachedTokens), null);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body, GatewayJson.Options);
        await ResponseCaching.StoreAsync(ctx, state, cacheKey, bytes);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
    }

    /// <summary>
    /// The text a forced tool call makes the reply start with, appended after the generation prompt. Empty: a forced
    /// call (tool_choice "required" or a named function) is enforced by <see cref="ConstrainToolCalls"/>'s grammar, which
    /// matches the whole reply; the parser and the prompt take the prefix as a parameter so a dialect could still use one.
    /// </summary>
    internal static string ForcedCallPrefix(ChatToolSettings tools, ToolCallDialect dialect) => "";

    /// <summary>
    /// Constrains the reply to tool calls in the family's call format with arguments that match each function's
    /// parameter schema (the grammar engine's GBNF for the calls, composed with each schema's rules):
    /// <list type="bullet">
    /// <item>tool_choice "required" or a named function: the calls alone. A forced call has no text reply, so any
    /// response_format (or guided_*) constraint, which applies to the text reply, has nothing to apply to.</item>
    /// <item>tool_choice "auto" with an output constraint on the request: either a call (to any tool) or the
    /// constrained text, so the model can still call a tool and a text answer still matches response_format.</item>
    /// <item>tool_choice "auto" without one, or "none": the request's own constraint, if any, unchanged.</item>
    /// </list>
    /// A schema keyword the grammar cannot enforce is a 400 naming the tool's parameters.
    /// </summary>
    internal static GenerationRequest ConstrainToolCalls(GenerationRequest request, ChatToolSettings tools, ToolCallDialect dialect)
    {
        var output = request.Sampling.Grammar;
        if (!tools.ParsesCalls || (!tools.Choice.Forces && output is null))
        {
            return request;
        }

        var grammar = CallGrammar(tools.Choice.Forces ? tools.Choice : ToolChoice.Required, tools, dialect);
        if (!tools.Choice.Forces)
        {
            grammar = CyLlm.Engine.Sampling.Grammars.Grammar.Either(grammar, output!);
        }

        return request with { Sampling = request.Sampling with { Grammar = grammar } };
    }

    private static CyLlm.Engine.Sampling.Grammars.Grammar CallGrammar(ToolChoice choice, ChatToolSettings tools, ToolCallDialect dialect)
    {
        try
        {
            string gbnf = ToolCallGrammar.Build(dialect.Family, tools.Tools, choice, tools.Parallel,
                (schema, prefix) => CyLlm.Engine.Sampling.Grammars.JsonSchemaGrammar.ToGbnf(schema, prefix, "tools.function.parameters", compact: true));
            return CyLlm.Engine.Sampling.Grammars.Grammar.FromGbnf(gbnf);
        }
        catch (CyLlm.Engine.Sampling.Grammars.GrammarException e)
        {
            string why = choice == tools.Choice ? "tool_choice" : "tool calls alongside the output constraint";
            throw ApiError.BadRequest($"a tool's parameters cannot be enforced for {why}: {e.Message}", "tools");
        }
    }

    /// <summary>A fresh tool-call parser primed with the forced prefix, or null when the reply is not parsed for calls
    /// (a format that splits every reply into channels, harmony, is always parsed).</summary>
    internal static IToolCallParser? Parser(ChatToolSettings tools, ToolCallDialect dialect, string prefix)
    {
        if (!tools.ParsesCalls)
        {
            // No calls allowed: harmony replies are still split into reasoning and content.
            return dialect.ParsesEveryReply ? dialect.CreateChannelParser() : null;
        }

        var parser = dialect.CreateParser();
        // The prefix opens a call, so the parser holds it whole: nothing is emitted here.
        parser.Push(prefix);
        return parser;
    }

    /// <summary>
    /// The response message for generated <paramref name="text"/>: with a parser, its calls become tool_calls (only
    /// the first when <paramref name="parallel"/> is false), content is null when there is none besides them, and the
    /// finish_reason is "tool_calls" — unless the generation was cut off ("length"): then it stays "length", and text
    /// after the complete calls (a half-written call) is content, so nothing is lost and the truncation is visible.
    /// </summary>
    internal static (ChatResponseMessage Message, string FinishReason) Shape(string text, string finishReason, IToolCallParser? parser, bool parallel)
    {
        if (parser is null)
        {
            return (new ChatResponseMessage("assistant", text), finishReason);
        }

        var (content, reasoning, calls) = ToolCallParser.Split(parser, text);
        if (calls.Count == 0)
        {
            return (new ChatResponseMessage("assistant", content ?? "", null, reasoning), finishReason);
        }

        var list = calls.Take(parallel ? calls.Count : 1)
            .Select(c => new ChatResponseToolCall(c.Id, "function", new ChatFunctionCall(c.Name, c.Arguments)))
            .ToList();
        return (new ChatResponseMessage("assistant", content, list, reasoning), finishReason == "length" ? "length" : "tool_calls");
    }

    /// <summary>
    /// Validates the messages and flattens content parts to text; "developer" is rendered as "system". Assistant
    /// tool_calls and tool results (whose tool_call_id must answer an earlier call) are kept for the template.
    /// </summary>
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
        // Ids of the assistant tool calls so far: a tool message must answer one of them.
        var callIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < dtos.Count; i++)
        {
            var m = dtos[i] ?? throw ApiError.BadRequest($"messages[{i}] must be an object", $"messages[{i}]");
            if (m.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported($"messages[{i}].{m.Extra.Keys.First()}");
            }

            if (m.Role is null || !Roles.Contains(m.Role))
            {
                throw ApiError.BadRequest($"messages[{i}].role must be one of system, developer, user, assistant, tool (got '{m.Role}')", $"messages[{i}].role");
            }

            string role = m.Role == "developer" ? "system" : m.Role;
            string p = $"messages[{i}]";
            if (m.ToolCallId is { ValueKind: not JsonValueKind.Null } && role != "tool")
            {
                throw ApiError.BadRequest($"{p}.tool_call_id is only allowed on tool messages", $"{p}.tool_call_id");
            }

            if (m.ToolCalls is { ValueKind: not JsonValueKind.Null } calls)
            {
                if (role != "assistant")
                {
                    throw ApiError.BadRequest($"{p}.tool_calls is only allowed on assistant messages", $"{p}.tool_calls");
                }

                var parsed = ChatToolReader.Calls(calls, $"{p}.tool_calls", callIds);
                // OpenAI sends "content": null beside tool calls; the template then sees none.
                string text = m.Content is { ValueKind: not JsonValueKind.Null } ? ContentText(m.Content, i) : "";
                list.Add(new ChatMessage(role, text, m.Name) { ToolCalls = parsed });
                continue;
            }

            if (role == "tool")
            {
                string callId = ChatToolReader.CallId(m.ToolCallId, $"{p}.tool_call_id", callIds);
                list.Add(new ChatMessage(role, ContentText(m.Content, i), m.Name) { ToolCallId = callId });
                continue;
            }

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
