using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Embeddings;

namespace CyLlm.Gateway.Tests;

[Collection(StoriesCollection.Name)]
public sealed class EmbeddingsAndMetricsTests(StoriesServerFixture fx)
{
    private EmbeddingClient Client() => new(fx.ModelId, new System.ClientModel.ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(fx.Server.BaseUrl + "/v1") });

    [Fact]
    public async Task Embeddings_are_normalized_deterministic_and_distinguish_texts()
    {
        var client = Client();
        var a = (await client.GenerateEmbeddingAsync("Once upon a time")).Value.ToFloats().ToArray();
        var a2 = (await client.GenerateEmbeddingAsync("Once upon a time")).Value.ToFloats().ToArray();
        var b = (await client.GenerateEmbeddingAsync("The dog ran to the park")).Value.ToFloats().ToArray();
        Assert.Equal(fx.Engine.Config.Dim, a.Length);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(v => (double)v * v)), 3);
        Assert.Equal(a, a2);
        Assert.NotEqual(a, b);
        var expected = fx.Engine.Embed(fx.Engine.Encode("Once upon a time"));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(expected[i], a[i], 5);
        }
    }

    [Fact]
    public async Task Batch_inputs_and_base64_and_errors()
    {
        using var resp = await fx.Server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { "a b", "c" }, encoding_format = "base64" }));
        var root = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, root.GetProperty("data").GetArrayLength());
        var bytes = Convert.FromBase64String(root.GetProperty("data")[1].GetProperty("embedding").GetString()!);
        Assert.Equal(fx.Engine.Config.Dim * 4, bytes.Length);
        Assert.True(root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);

        using var bad = await fx.Server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = "x", dimensions = 8 }));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Contains("dimensions", await bad.Content.ReadAsStringAsync());
        using var empty = await fx.Server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = Array.Empty<string>() }));
        Assert.Equal(400, (int)empty.StatusCode);
    }

    [Fact]
    public async Task Metrics_expose_the_engine_instruments_in_prometheus_text()
    {
        using (var r = await fx.Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { prompt = "Once", max_tokens = 4, temperature = 0 })))
        {
            Assert.True(r.IsSuccessStatusCode);
        }

        using var http = new HttpClient();
        string text = await http.GetStringAsync(fx.Server.BaseUrl + "/metrics");
        Assert.Contains("cyllm_generation_tokens_total", text);
        Assert.Contains("cyllm_time_to_first_token_seconds_bucket", text);
        Assert.Contains("cyllm_kv_cache_usage_ratio", text);
    }
}
