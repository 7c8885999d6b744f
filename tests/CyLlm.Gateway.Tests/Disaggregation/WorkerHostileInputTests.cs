using System.Net;
using System.Text.Json;

namespace CyLlm.Gateway.Tests.Disaggregation;

/// <summary>The workers' internal routes answer malformed bodies with a 400 OpenAI error object, never a 500.</summary>
public class WorkerHostileInputTests
{
    public static TheoryData<string, string> Bodies() => new()
    {
        { "/internal/disaggregation/decode", """{"bootstrap_room":7,"prompt_tokens":null}""" },
        { "/internal/disaggregation/decode", """{"bootstrap_room":7,"prompt_tokens":[1,2],"stop_token_ids":null,"stop":null,"max_tokens":0}""" },
        { "/internal/disaggregation/decode", """{"bootstrap_room":0,"prompt_tokens":[1,2],"stop_token_ids":null}""" },
        { "/internal/disaggregation/prefill", """{"bootstrap_room":7,"prompt_tokens":null}""" },
        { "/internal/disaggregation/prefill", """{"bootstrap_room":7,"prompt_tokens":"x"}""" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Null_or_wrong_fields_are_a_400_with_an_error_object(string path, string body)
    {
        await using var cluster = await RouterCluster.StartAsync();
        var server = path.EndsWith("decode", StringComparison.Ordinal) ? cluster.Decode! : cluster.Prefill!;
        using var resp = await server.PostJsonAsync(path, body);
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.BadRequest, $"{(int)resp.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }
}
