using System.Text;
using CsCheck;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>Property: whatever a client sends, every non-2xx answer is a well-formed OpenAI error object.</summary>
[Collection(StoriesCollection.Name)]
public sealed class ErrorPropertyTests(StoriesServerFixture fx)
{
    private static readonly string[] Endpoints = ["/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize"];

    private static readonly string[] Fields =
    [
        "\"model\":\"stories260K\"", "\"model\":\"other\"", "\"model\":7",
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]", "\"messages\":[]", "\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]",
        "\"messages\":\"hi\"", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}]",
        "\"prompt\":\"Once\"", "\"prompt\":[1,2,3]", "\"prompt\":[[1],[2]]", "\"prompt\":[-1]", "\"prompt\":{}",
        "\"tokens\":[1,2]", "\"tokens\":[1000000]", "\"tokens\":\"x\"",
        "\"temperature\":0", "\"temperature\":9", "\"temperature\":null", "\"top_p\":1.5", "\"top_k\":3", "\"min_p\":-1",
        "\"n\":1", "\"n\":3", "\"stop\":\"a\"", "\"stop\":[1]", "\"seed\":1", "\"seed\":\"s\"", "\"stream\":true",
        "\"stream_options\":{\"include_usage\":true}", "\"stream_options\":{\"x\":1}", "\"logprobs\":true", "\"logprobs\":3",
        "\"top_logprobs\":2", "\"top_logprobs\":50", "\"logit_bias\":{\"1\":-100}", "\"logit_bias\":{\"1\":500}",
        "\"max_tokens\":0", "\"max_tokens\":-4", "\"max_tokens\":99999999", "\"repetition_penalty\":0", "\"ignore_eos\":\"yes\"",
        "\"tools\":[]", "\"echo\":true", "\"best_of\":2", "\"suffix\":\"z\"", "\"user\":\"u\\u0007\"", "\"priority\":1", "\"whatever\":{}",
        "\"add_special_tokens\":false", "\"min_tokens\":5",
        // Input limits: too many or too long stop sequences, too many logit_bias entries and stop_token_ids.
        "\"stop\":[" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"s{i}\"")) + "]",
        "\"stop\":\"" + new string('z', 257) + "\"",
        "\"logit_bias\":{" + string.Join(",", Enumerable.Range(0, 1025).Select(i => $"\"{i}\":1")) + "}",
        "\"stop_token_ids\":[" + string.Join(",", Enumerable.Range(0, 257).Select(i => "1")) + "]",
    ];

    private static readonly Gen<string> Body =
        Gen.Select(Gen.Int[0, 6].SelectMany(n => Gen.OneOf(Fields).Array[n]), Gen.Int[0, 9], Gen.Int[0, 400], (fields, corrupt, at) =>
        {
            // max_tokens first so later (random) values override it and valid requests stay short.
            string body = "{\"max_tokens\":2" + string.Concat(fields.Select(f => "," + f)) + "}";
            return corrupt switch
            {
                0 => body[..Math.Min(at, body.Length)],
                1 => body.Insert(Math.Min(at, body.Length), "\u0002"),
                _ => body,
            };
        });

    [Fact]
    public async Task Every_error_response_parses_as_an_openai_error_object()
    {
        int errors = 0;
        await Gen.Select(Gen.OneOf(Endpoints), Body).SampleAsync(async (endpoint, body) =>
        {
            using var resp = await fx.Server.PostJsonAsync(endpoint, body);
            string text = await resp.Content.ReadAsStringAsync();
            if ((int)resp.StatusCode >= 400)
            {
                Interlocked.Increment(ref errors);
                Assert.Equal("application/json", resp.Content.Headers.ContentType?.MediaType);
                var e = ErrorAssert.Parse(text);
                Assert.Contains("Fix:", e.GetProperty("message").GetString());
            }
            else
            {
                Assert.Equal(200, (int)resp.StatusCode);
            }
        }, iter: 150, threads: 1);
        Assert.True(errors > 20, $"only {errors} error responses were exercised");
    }

    [Fact]
    public async Task Bodies_with_raw_invalid_utf8_are_400()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"prompt\":\"ab\"}");
        bytes[12] = 0xFF;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var resp = await fx.Server.Http.PostAsync("/v1/completions", content);
        Assert.Equal(400, (int)resp.StatusCode);
        ErrorAssert.Parse(await resp.Content.ReadAsStringAsync());
    }
}
