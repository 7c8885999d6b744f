using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// Forced tool calls hold on a real model that knows nothing of tools (stories260K, served by the serving engine with
/// the grammar engine): a named or required tool_choice always yields a call to an allowed function whose arguments
/// validate against its schema, greedy and sampled, streamed deltas assembling into the same call.
/// </summary>
// Its own server: its prompts would otherwise fill the shared server's prefix cache under tests that expect none.
public sealed class ForcedToolCallTests(StoriesServerFixture fx) : IClassFixture<StoriesServerFixture>
{
    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}}},
         {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"],"additionalProperties":false}}}]
        """;

    [Theory]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", 0.0, 0)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", 1.0, 1)]
    [InlineData("\"required\"", 1.0, 2)]
    [InlineData("\"required\"", 0.8, 3)]
    public async Task A_forced_call_is_a_valid_call_whatever_the_model_would_have_said(string choice, double temperature, int seed)
    {
        string body = $"{{\"model\":\"{fx.ModelId}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Once upon a time\"}}],\"tools\":{Tools},\"tool_choice\":{choice},\"temperature\":{temperature},\"seed\":{seed},\"max_tokens\":120,\"parallel_tool_calls\":false}}";
        using var resp = await fx.Server.PostJsonAsync("/v1/chat/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.IsSuccessStatusCode, json);
        var c = JsonDocument.Parse(json).RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", c.GetProperty("finish_reason").GetString());
        var call = c.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function");
        string name = call.GetProperty("name").GetString()!;
        var args = JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement;
        if (choice.Contains("get_weather", StringComparison.Ordinal))
        {
            Assert.Equal("get_weather", name);
        }

        if (name == "get_weather")
        {
            Assert.Equal(["city", "days"], args.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.InRange(args.GetProperty("city").GetString()!.Length, 0, 12);
            Assert.InRange(args.GetProperty("days").GetInt32(), 1, 7);
        }
        else
        {
            Assert.Equal("get_time", name);
            Assert.Contains(args.GetProperty("zone").GetString(), new[] { "UTC", "CET" });
        }

        // Streamed, the same request's deltas assemble into the same call.
        using var streamed = await fx.Server.PostJsonAsync("/v1/chat/completions", body.Replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"", StringComparison.Ordinal));
        string sse = await streamed.Content.ReadAsStringAsync();
        string streamedName = "", streamedArgs = "";
        foreach (var p in Sse.Payloads(sse))
        {
            foreach (var ch in p.GetProperty("choices").EnumerateArray())
            {
                if (ch.GetProperty("delta").TryGetProperty("tool_calls", out var tc) && tc.ValueKind == JsonValueKind.Array)
                {
                    var f = tc[0].GetProperty("function");
                    if (f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    {
                        streamedName += n.GetString();
                    }

                    if (f.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String)
                    {
                        streamedArgs += a.GetString();
                    }
                }
            }
        }

        Assert.Equal(name, streamedName);
        Assert.Equal(call.GetProperty("arguments").GetString(), streamedArgs);
    }

    [Fact]
    public async Task A_tool_schema_keyword_the_grammar_cannot_enforce_is_a_400_for_a_forced_call()
    {
        string tools = """[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"number","multipleOf":3}}}}}]""";
        string body = $"{{\"model\":\"{fx.ModelId}\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}],\"tools\":{tools},\"tool_choice\":\"required\"}}";
        using var resp = await fx.Server.PostJsonAsync("/v1/chat/completions", body);
        string json = await resp.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)resp.StatusCode);
        Assert.Contains("multipleOf", json, StringComparison.Ordinal);
    }
}
