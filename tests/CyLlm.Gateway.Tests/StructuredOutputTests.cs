using System.Text.Json;
using System.Text.RegularExpressions;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Structured outputs over HTTP: response_format json_schema/json_object on chat, vLLM guided_* on chat
/// and completions, and the 400s for constraints the server cannot enforce.</summary>
// Its own server: its prompts would otherwise fill the shared server\'s prefix cache under tests that expect none.
public sealed class StructuredOutputTests(StoriesServerFixture fx) : IClassFixture<StoriesServerFixture>
{
    private const string Chat = "/v1/chat/completions";

    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {"type":"object","properties":{"name":{"type":"string","maxLength":10},"age":{"type":"integer","minimum":0,"maximum":120},
         "pet":{"enum":["cat","dog"]}},"required":["name","age","pet"],"additionalProperties":false}
        """).RootElement;

    private async Task<JsonElement> PostOkAsync(string path, object body)
    {
        using var resp = await fx.Server.PostJsonAsync(path, JsonSerializer.Serialize(body));
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static object Messages => new[] { new { role = "user", content = "Tell me about a girl." } };

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(1.0, 2)]
    [InlineData(1.0, 3)]
    public async Task Json_schema_response_validates_against_the_schema(double temperature, int seed)
    {
        var root = await PostOkAsync(Chat, new
        {
            model = fx.ModelId,
            messages = Messages,
            temperature,
            seed,
            max_tokens = 300,
            response_format = new { type = "json_schema", json_schema = new { name = "person", schema = Schema, strict = true } },
        });
        var choice = root.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var doc = JsonDocument.Parse(choice.GetProperty("message").GetProperty("content").GetString()!).RootElement;
        Assert.Equal(["name", "age", "pet"], doc.EnumerateObject().Select(p => p.Name));
        Assert.True(doc.GetProperty("name").GetString()!.Length <= 10);
        Assert.InRange(doc.GetProperty("age").GetInt32(), 0, 120);
        Assert.Contains(doc.GetProperty("pet").GetString(), new[] { "cat", "dog" });
    }

    [Fact]
    public async Task Json_object_response_parses_as_an_object()
    {
        var root = await PostOkAsync(Chat, new { model = fx.ModelId, messages = Messages, temperature = 0.8, seed = 4, max_tokens = 400, response_format = new { type = "json_object" } });
        var choice = root.GetProperty("choices")[0];
        string content = choice.GetProperty("message").GetProperty("content").GetString()!;
        if (choice.GetProperty("finish_reason").GetString() == "stop")
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(content).RootElement.ValueKind);
        }
        else
        {
            Assert.StartsWith("{", content);
        }
    }

    [Fact]
    public async Task Streaming_json_schema_output_concatenates_to_valid_json()
    {
        using var resp = await fx.Server.PostJsonAsync(Chat, JsonSerializer.Serialize(new
        {
            model = fx.ModelId,
            messages = Messages,
            temperature = 0,
            max_tokens = 300,
            stream = true,
            response_format = new { type = "json_schema", json_schema = new { name = "person", schema = Schema } },
        }));
        string body = await resp.Content.ReadAsStringAsync();
        var text = string.Concat(Sse.Payloads(body)
            .Where(p => p.GetProperty("choices").GetArrayLength() > 0)
            .Select(p => p.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            .Select(d => d.GetProperty("content").GetString()));
        var doc = JsonDocument.Parse(text).RootElement;
        Assert.InRange(doc.GetProperty("age").GetInt32(), 0, 120);
        Assert.Contains(doc.GetProperty("pet").GetString(), new[] { "cat", "dog" });
    }

    [Fact]
    public async Task Guided_choice_regex_and_grammar_on_completions()
    {
        var choice = await PostOkAsync("/v1/completions", new { model = fx.ModelId, prompt = "The weather is", max_tokens = 10, temperature = 1, seed = 9, guided_choice = new[] { "sunny", "rainy", "cloudy" } });
        Assert.Contains(choice.GetProperty("choices")[0].GetProperty("text").GetString(), new[] { "sunny", "rainy", "cloudy" });

        var regex = await PostOkAsync("/v1/completions", new { model = fx.ModelId, prompt = "Call", max_tokens = 30, temperature = 1, seed = 3, guided_regex = @"\d{3}-\d{4}" });
        Assert.Matches(new Regex(@"^\d{3}-\d{4}$"), regex.GetProperty("choices")[0].GetProperty("text").GetString()!);

        var gbnf = await PostOkAsync("/v1/completions", new { model = fx.ModelId, prompt = "Answer:", max_tokens = 10, temperature = 0, guided_grammar = "root ::= (\"yes\" | \"no\") \".\"" });
        Assert.Contains(gbnf.GetProperty("choices")[0].GetProperty("text").GetString(), new[] { "yes.", "no." });

        var json = await PostOkAsync("/v1/completions", new { model = fx.ModelId, prompt = "Data:", max_tokens = 100, temperature = 0, guided_json = new { type = "array", items = new { type = "boolean" }, minItems = 2, maxItems = 2 } });
        Assert.Equal(2, JsonDocument.Parse(json.GetProperty("choices")[0].GetProperty("text").GetString()!).RootElement.GetArrayLength());
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 5)]
    [InlineData(1.0, 6)]
    public async Task Lark_guided_grammar_constrains_the_output(double temperature, int seed)
    {
        // No '::=': the grammar is read as Lark (rules, terminals, a regexp, an import). Every part is bounded, so the
        // answer always ends within max_tokens.
        const string lark = """
            start: "Answer:" pair ("," pair)~0..2 "."
            pair: KEY "=" VALUE   // a comment
            KEY: LCASE_LETTER~1..6
            VALUE: /-?[0-9]{1,3}/
                 | "yes"i | "no"i
            %import common.LCASE_LETTER
            """;
        var root = await PostOkAsync(Chat, new { model = fx.ModelId, messages = Messages, temperature, seed, max_tokens = 80, guided_grammar = lark });
        var choice = root.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        string content = choice.GetProperty("message").GetProperty("content").GetString()!;
        const string pair = "[a-z]{1,6}=(-?[0-9]{1,3}|[yY][eE][sS]|[nN][oO])";
        Assert.Matches(new Regex("^Answer:" + pair + "(," + pair + "){0,2}\\.$"), content);
    }

    [Fact]
    public async Task Guided_json_on_chat()
    {
        var root = await PostOkAsync(Chat, new { model = fx.ModelId, messages = Messages, temperature = 0, max_tokens = 100, guided_json = """{"type":"integer","minimum":10,"maximum":20}""" });
        Assert.InRange(int.Parse(root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!, System.Globalization.CultureInfo.InvariantCulture), 10, 20);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"age":{"type":"integer","multipleOf":2}}}""", "response_format.json_schema.schema.properties.age", "multipleOf")]
    [InlineData("""{"type":"object","patternProperties":{"^x":{}}}""", "response_format.json_schema.schema", "patternProperties")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "response_format.json_schema.schema", "uniqueItems")]
    public async Task Unsupported_schema_keyword_is_400_naming_it(string schema, string param, string keyword)
    {
        string body = "{\"model\":\"" + fx.ModelId + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":" + schema + "}}}";
        using var resp = await fx.Server.PostJsonAsync(Chat, body);
        var e = await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
        Assert.Contains($"keyword \"{keyword}\" is not supported", e.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(Chat, ",\"guided_regex\":\"a(?=b)\"", "guided_regex")]
    [InlineData("/v1/completions", ",\"guided_grammar\":\"root ::= foo\"", "guided_grammar")]
    [InlineData("/v1/completions", ",\"guided_grammar\":\"start: \\\"abc\"", "guided_grammar")]
    [InlineData("/v1/completions", ",\"guided_grammar\":\"start: x\\n%declare X\"", "guided_grammar")]
    [InlineData("/v1/completions", ",\"guided_choice\":[]", "guided_choice")]
    [InlineData("/v1/completions", ",\"guided_json\":\"{not json\"", "guided_json")]
    [InlineData(Chat, ",\"guided_choice\":[\"a\"],\"guided_regex\":\"b\"", "guided_regex")]
    [InlineData(Chat, ",\"response_format\":{\"type\":\"json_object\"},\"guided_json\":{}", "guided_json")]
    [InlineData(Chat, ",\"response_format\":{\"type\":\"json_schema\"}", "response_format.json_schema")]
    [InlineData(Chat, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}", "response_format.json_schema.name")]
    [InlineData(Chat, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"extra\":1}}", "response_format.json_schema.extra")]
    public async Task Invalid_or_conflicting_constraints_are_400_naming_the_field(string path, string extra, string param)
    {
        string body = path == Chat
            ? "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2" + extra + "}"
            : "{\"prompt\":\"hi\",\"max_tokens\":2" + extra + "}";
        using var resp = await fx.Server.PostJsonAsync(path, body);
        await ErrorAssert.IsAsync(resp, 400, "invalid_request_error", param);
    }

    [Fact]
    public async Task Text_response_format_is_free_output()
    {
        var root = await PostOkAsync(Chat, new { model = fx.ModelId, messages = Messages, temperature = 0, max_tokens = 5, response_format = new { type = "text" } });
        Assert.Equal(JsonValueKind.String, root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").ValueKind);
    }
}
