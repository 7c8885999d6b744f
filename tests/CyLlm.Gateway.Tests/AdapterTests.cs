using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>POST /v1/load_lora_adapter and /v1/unload_lora_adapter, and serving an adapter as "base:adapter".</summary>
[Collection(StoriesCollection.Name)]
public sealed class AdapterTests(StoriesServerFixture fx) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-lora-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WritePeft() => PeftWriter.Write(Path.Combine(_dir, "peft"), fx.Engine.Config.Layers, fx.Engine.Config.Dim);

    private async Task<JsonElement> Post(string path, object body, int status)
    {
        using var resp = await fx.Server.PostJsonAsync(path, JsonSerializer.Serialize(body));
        string text = await resp.Content.ReadAsStringAsync();
        Assert.True((int)resp.StatusCode == status, $"{(int)resp.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task An_adapter_loads_serves_as_its_own_model_and_unloads()
    {
        string name = "gw" + Guid.NewGuid().ToString("N")[..6];
        await Post("/v1/load_lora_adapter", new { lora_name = name, lora_path = WritePeft() }, 200);
        using (var models = await fx.Server.Http.GetAsync("/v1/models"))
        {
            Assert.Contains($"{fx.ModelId}:{name}", await models.Content.ReadAsStringAsync());
        }

        var plain = await Post("/v1/completions", new { prompt = "Once upon a time", max_tokens = 20, temperature = 0 }, 200);
        var adapted = await Post("/v1/completions", new { model = $"{fx.ModelId}:{name}", prompt = "Once upon a time", max_tokens = 20, temperature = 0 }, 200);
        var byName = await Post("/v1/completions", new { model = name, prompt = "Once upon a time", max_tokens = 20, temperature = 0 }, 200);
        string Text(JsonElement e) => e.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.NotEqual(Text(plain), Text(adapted));
        Assert.Equal(Text(adapted), Text(byName));

        await Post("/v1/unload_lora_adapter", new { lora_name = name }, 200);
        var gone = await Post("/v1/completions", new { model = $"{fx.ModelId}:{name}", prompt = "x", max_tokens = 2 }, 404);
        Assert.Equal("model_not_found", gone.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Bad_adapter_requests_are_clear_errors()
    {
        var missing = await Post("/v1/load_lora_adapter", new { lora_name = "nope", lora_path = Path.Combine(_dir, "missing") }, 400);
        Assert.Equal("lora_path", missing.GetProperty("error").GetProperty("param").GetString());
        await Post("/v1/load_lora_adapter", new { lora_path = "x" }, 400);
        await Post("/v1/unload_lora_adapter", new { lora_name = "never-loaded" }, 404);
    }

    [Fact]
    public async Task An_adapter_unloads_by_the_base_colon_adapter_id_that_models_lists()
    {
        string name = "gw" + Guid.NewGuid().ToString("N")[..6];
        await Post("/v1/load_lora_adapter", new { lora_name = name, lora_path = WritePeft() }, 200);
        var done = await Post("/v1/unload_lora_adapter", new { lora_name = $"{fx.ModelId}:{name}" }, 200);
        Assert.Equal($"{fx.ModelId}:{name}", done.GetProperty("lora_name").GetString());
        using var models = await fx.Server.Http.GetAsync("/v1/models");
        Assert.DoesNotContain(name, await models.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_fine_tuned_model_unloads_by_the_ft_id_the_api_returns()
    {
        // The fine-tuning service registers a succeeded job's adapter under its whole OpenAI name; the load route
        // refuses ':' in names, so the test registers it the way the service does.
        string tuned = $"ft:{fx.ModelId}:acme:ftjob-{Guid.NewGuid():N}";
        fx.Server.App.State.RequireBackend().LoadAdapter(tuned, WritePeft());
        using (var models = await fx.Server.Http.GetAsync("/v1/models"))
        {
            Assert.Contains(tuned, await models.Content.ReadAsStringAsync());
        }

        var done = await Post("/v1/unload_lora_adapter", new { lora_name = tuned }, 200);
        Assert.Equal("unloaded", done.GetProperty("status").GetString());
        using (var models = await fx.Server.Http.GetAsync("/v1/models"))
        {
            Assert.DoesNotContain(tuned, await models.Content.ReadAsStringAsync());
        }

        var gone = await Post("/v1/completions", new { model = tuned, prompt = "x", max_tokens = 2 }, 404);
        Assert.Equal("model_not_found", gone.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("ft:stories260K:acme:ftjob-never")]
    [InlineData("stories260K:never-loaded")]
    [InlineData("no-such-base:x")]
    [InlineData("ft:")]
    public async Task Unloading_an_unknown_model_id_is_a_404_error_object(string id)
    {
        var e = await Post("/v1/unload_lora_adapter", new { lora_name = id }, 404);
        Assert.Equal("model_not_found", e.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("lora_name", e.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Loading_still_refuses_a_name_with_a_colon()
    {
        var e = await Post("/v1/load_lora_adapter", new { lora_name = "ft:x:y:z", lora_path = WritePeft() }, 400);
        Assert.Equal("lora_name", e.GetProperty("error").GetProperty("param").GetString());
    }
}
