using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>
/// Structured outputs across the hop: the grammar travels by source to the decode worker (which samples every token),
/// so a json_schema answer, a guided_regex completion and a forced tool call through the router are valid and equal
/// the co-located answer for greedy decoding; a grammar a worker cannot compile, or a worker that ignores the grammar
/// field, is a clear 502 for the client, never free text passed off as constrained.
/// </summary>
public sealed class RouterStructuredOutputTests
{
    private const string Schema = """
        {"type":"object","properties":{"name":{"type":"string","maxLength":10},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"],"additionalProperties":false}
        """;

    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}}},
         {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"],"additionalProperties":false}}}]
        """;

    private const string Final = "{\"finish_reason\":\"length\",\"token_ids\":[10],\"text\":\"Hello\",\"prompt_tokens\":3,\"completion_tokens\":1,\"cached_tokens\":0}";

    [Fact]
    public async Task Json_schema_regex_and_a_forced_tool_call_through_the_router_are_valid_and_equal_colocated()
    {
        await using var cluster = await RouterCluster.StartAsync();

        string schemaChat = """
            {"model":"stories260K","messages":[{"role":"user","content":"Tell me about a girl."}],"max_tokens":60,"temperature":0,"seed":7,
             "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":
            """ + Schema + "}}}";
        var expected = await MessageOf(cluster.Prefill!, schemaChat);
        var routed = await MessageOf(cluster.Router, schemaChat);
        string content = routed.GetProperty("content").GetString()!;
        Assert.Equal(expected.GetProperty("content").GetString(), content);
        var person = JsonDocument.Parse(content).RootElement;
        Assert.Equal(["name", "age"], person.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(person.GetProperty("name").GetString()!.Length, 0, 10);
        Assert.InRange(person.GetProperty("age").GetInt32(), 0, 120);

        // Streamed through the router, the same answer.
        string sse = await (await cluster.Router.PostJsonAsync("/v1/chat/completions", schemaChat.Replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"", StringComparison.Ordinal))).Content.ReadAsStringAsync();
        string streamed = string.Concat(Sse.Payloads(sse).SelectMany(p => p.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : ""));
        Assert.Equal(content, streamed);

        // guided_regex on /v1/completions: the whole output matches.
        string regex = JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 20, temperature = 0, guided_regex = "(yes|no), [a-z]{2,8}\\." });
        string regexText = await CompletionTextOf(cluster.Router, regex);
        Assert.Equal(await CompletionTextOf(cluster.Prefill!, regex), regexText);
        Assert.Matches("^(yes|no), [a-z]{2,8}\\.$", regexText);

        // A named tool_choice: a call to that function whose arguments validate, the co-located call exactly.
        string toolChat = $$$"""
            {"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"tools":{{{Tools}}},
             "tool_choice":{"type":"function","function":{"name":"get_weather"}},"temperature":0,"seed":3,"max_tokens":120,"parallel_tool_calls":false}
            """;
        var expectedCall = await MessageOf(cluster.Prefill!, toolChat);
        var routedCall = await MessageOf(cluster.Router, toolChat);
        var call = routedCall.GetProperty("tool_calls")[0].GetProperty("function");
        var expectedFunction = expectedCall.GetProperty("tool_calls")[0].GetProperty("function");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal(expectedFunction.GetProperty("arguments").GetString(), call.GetProperty("arguments").GetString());
        var args = JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement;
        Assert.Equal(["city", "days"], args.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(args.GetProperty("city").GetString()!.Length, 0, 12);
        Assert.InRange(args.GetProperty("days").GetInt32(), 1, 7);

        // tool_choice auto with a response_format: the either-grammar (a call or the schema's JSON) crosses the hop too.
        string either = $$$"""
            {"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"tools":{{{Tools}}},"tool_choice":"auto",
             "temperature":0,"seed":5,"max_tokens":120,"parallel_tool_calls":false,
             "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{{{Schema}}} } } }
            """;
        var expectedEither = await MessageOf(cluster.Prefill!, either);
        var routedEither = await MessageOf(cluster.Router, either);
        static string Shape(JsonElement m) => m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array
            ? "call " + calls[0].GetProperty("function").GetRawText() // ids are drawn per answer
            : "text " + m.GetProperty("content").GetString();
        Assert.Equal(Shape(expectedEither), Shape(routedEither));
        string shape = Shape(routedEither);
        Assert.True(shape.StartsWith("call ", StringComparison.Ordinal) || JsonDocument.Parse(shape[5..]).RootElement.TryGetProperty("age", out _), shape);
    }

    [Fact]
    public async Task A_decode_worker_refuses_a_grammar_it_cannot_compile_with_a_400_naming_the_field()
    {
        await using var cluster = await RouterCluster.StartAsync();
        foreach (var (grammar, param) in new[]
        {
            ("{\"kind\":\"gbnf\",\"source\":\"root ::= undefined-rule\"}", "grammar.source"),
            ("{\"kind\":\"json_schema\",\"source\":\"{not json\"}", "grammar.source"),
            ("{\"kind\":\"json_schema\",\"source\":\"{\\\"type\\\":\\\"object\\\",\\\"patternProperties\\\":{}}\"}", "grammar.source"),
            ("{\"kind\":\"earley\",\"source\":\"start: \\\"a\\\"\"}", "grammar.kind"),
            ("{\"kind\":\"lark\",\"source\":\"start: undefined_rule\"}", "grammar.source"),
            ("{\"kind\":\"either\",\"source\":\"[]\"}", "grammar.source"),
            ("{\"kind\":\"regex\"}", "grammar.source"),
        })
        {
            using var resp = await cluster.Decode!.PostJsonAsync("/internal/disaggregation/decode",
                $"{{\"bootstrap_room\":77,\"prompt_tokens\":[1,2,3],\"max_tokens\":4,\"stream\":true,\"grammar\":{grammar}}}");
            string json = await resp.Content.ReadAsStringAsync();
            Assert.True(resp.StatusCode == HttpStatusCode.BadRequest, $"{grammar}: {(int)resp.StatusCode} {json}");
            Assert.Equal(param, JsonDocument.Parse(json).RootElement.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Theory]
    [InlineData("rejects")]
    [InlineData("ignores")]
    public async Task A_decode_worker_that_rejects_or_ignores_the_grammar_is_a_502_for_the_client(string worker)
    {
        string? sent = null;
        await using var decode = await StubWorker.StartAsync(async ctx =>
        {
            sent = await new StreamReader(ctx.Request.Body).ReadToEndAsync(ctx.RequestAborted);
            if (worker == "rejects")
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsync("{\"error\":{\"message\":\"the grammar cannot be compiled on this decode worker: rule 'x' is undefined\",\"type\":\"invalid_request_error\",\"param\":\"grammar.source\",\"code\":null}}", ctx.RequestAborted);
            }
            else
            {
                // An older worker: it knows no grammar field, answers free text and no header.
                await StubWorker.LineAsync(ctx, "{\"token_id\":10,\"text\":\"Hello\"}");
                await StubWorker.LineAsync(ctx, Final);
            }
        });
        await using var cluster = await RouterCluster.StartAsync(prefillUrl: decode.BaseUrl, decodeUrl: decode.BaseUrl);
        string body = JsonSerializer.Serialize(new { model = "stories260K", prompt = "Once upon a time", max_tokens = 4, temperature = 0, guided_regex = "[a-z]+" });
        using var resp = await cluster.Router.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, resp.StatusCode);
        var error = JsonDocument.Parse(json).RootElement.GetProperty("error");
        Assert.Equal(DisaggregationErrors.GrammarRejected, error.GetProperty("code").GetString());
        Assert.Contains("Fix:", error.GetProperty("message").GetString());

        // The grammar went by source: the regex itself, with its kind.
        var grammar = JsonDocument.Parse(sent!).RootElement.GetProperty("grammar");
        Assert.Equal("regex", grammar.GetProperty("kind").GetString());
        Assert.Equal("[a-z]+", grammar.GetProperty("source").GetString());
    }

    private static async Task<JsonElement> MessageOf(LiveServer server, string body)
    {
        using var resp = await server.PostJsonAsync("/v1/chat/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("message").Clone();
    }

    private static async Task<string> CompletionTextOf(LiveServer server, string body)
    {
        using var resp = await server.PostJsonAsync("/v1/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }
}
