using System.Text.Json;
using System.Text.RegularExpressions;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// A recorded SSE stream (chat, greedy, include_usage) compared byte for byte after ids and timestamps are
/// blanked. Regenerate with <c>CYLLM_REGEN_GOLDEN=1 dotnet test tests/CyLlm.Gateway.Tests --filter SseGolden</c>
/// (the golden file's header says the same).
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed partial class SseGoldenTests(StoriesServerFixture fx)
{
    private const string File = "chat_stream_stories260K.sse";

    private const string Header =
        ": golden SSE stream of POST /v1/chat/completions (stories260K, greedy, max_tokens 12, include_usage, logprobs).\n" +
        ": ids and created timestamps are blanked. Regenerate: CYLLM_REGEN_GOLDEN=1 dotnet test tests/CyLlm.Gateway.Tests --filter SseGolden\n\n";

    [Fact]
    public async Task SseGolden_chat_stream_matches_the_recorded_stream()
    {
        var request = new
        {
            model = fx.ModelId,
            messages = new[] { new { role = "user", content = "Tell me a story" } },
            temperature = 0,
            max_tokens = 12,
            logprobs = true,
            top_logprobs = 1,
            stream = true,
            stream_options = new { include_usage = true },
        };
        using var resp = await fx.Server.PostJsonAsync("/v1/chat/completions", JsonSerializer.Serialize(request));
        Assert.True(resp.IsSuccessStatusCode);
        string actual = Normalize(await resp.Content.ReadAsStringAsync());
        string path = RepoPaths.TestData(File);
        if (Environment.GetEnvironmentVariable("CYLLM_REGEN_GOLDEN") == "1")
        {
            await System.IO.File.WriteAllTextAsync(path, Header + actual);
        }

        string golden = await System.IO.File.ReadAllTextAsync(path);
        Assert.StartsWith(": golden", golden);
        Assert.Equal(StripComments(golden), StripComments(actual));
    }

    private static string Normalize(string body)
    {
        body = IdPattern().Replace(body, "\"id\":\"<id>\"");
        body = CreatedPattern().Replace(body, "\"created\":0");
        // Logprobs to 3 decimals: the last float bits differ between SIMD widths of different machines.
        return LogprobPattern().Replace(body, m => "\"logprob\":" + Math.Round(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 3).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string StripComments(string sse) =>
        string.Concat(sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => !e.StartsWith(':')).Select(e => e + "\n\n"));

    [GeneratedRegex("\"id\":\"[^\"]*\"")]
    private static partial Regex IdPattern();

    [GeneratedRegex("\"created\":\\d+")]
    private static partial Regex CreatedPattern();

    [GeneratedRegex("\"logprob\":(-?[0-9.eE+-]+)")]
    private static partial Regex LogprobPattern();
}
