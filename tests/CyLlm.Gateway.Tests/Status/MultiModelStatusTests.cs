using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Status;

/// <summary>GET /status with several base models: every model's engine, the default's at the top level, ?model=ID.</summary>
public sealed class MultiModelStatusTests
{
    private static string Tiny => Path.Combine(Path.GetDirectoryName(RepoPaths.StoriesModel)!, "llama-2-tiny-random.gguf");

    private static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static int Samples(JsonElement engine) => engine.GetProperty("end_to_end").GetProperty("samples").GetInt32();

    [Fact]
    public async Task Status_lists_every_model_with_its_own_engine_and_keeps_the_default_at_the_top()
    {
        await using var s = await LiveServer.StartAsync(new GatewayOptions { ModelPaths = [RepoPaths.StoriesModel, Tiny], Threads = 2 });
        foreach (var host in s.App.State.Models)
        {
            await host.Loading;
        }

        // Only the second model has served a request, so only its engine has latency samples.
        var done = await s.PostJsonAsync("/v1/completions", """{"model":"llama-2-tiny-random","prompt":"Once","max_tokens":4,"temperature":0}""");
        Assert.True(done.IsSuccessStatusCode, await done.Content.ReadAsStringAsync());

        var all = await Json(await s.Http.GetAsync("/status"));
        Assert.Equal("stories260K", all.GetProperty("model").GetString());
        Assert.Equal(0, Samples(all.GetProperty("engine")));
        var models = all.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["stories260K", "llama-2-tiny-random"], models.Select(m => m.GetProperty("model").GetString()));
        Assert.Equal(0, Samples(models[0].GetProperty("engine")));
        Assert.Equal(1, Samples(models[1].GetProperty("engine")));
        Assert.True(models[1].GetProperty("engine").GetProperty("total_blocks").GetInt32() > 0);

        var one = await Json(await s.Http.GetAsync("/status?model=llama-2-tiny-random"));
        Assert.Equal("llama-2-tiny-random", one.GetProperty("model").GetString());
        Assert.Equal(1, Samples(one.GetProperty("engine")));
        Assert.False(one.TryGetProperty("models", out _));

        var first = await Json(await s.Http.GetAsync("/status?model=stories260K"));
        Assert.Equal("stories260K", first.GetProperty("model").GetString());
        Assert.Equal(0, Samples(first.GetProperty("engine")));

        var unknown = await ErrorAssert.IsAsync(await s.Http.GetAsync("/status?model=gpt-4"), 404, "model_not_found", "model");
        Assert.Contains("'llama-2-tiny-random'", unknown.GetProperty("message").GetString());
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/status?model="), 400, "invalid_request_error", "model");
    }

    [Fact]
    public async Task One_model_is_listed_alone_and_an_adapter_name_is_not_a_base_model()
    {
        await using var s = await LiveServer.StartStoriesAsync();
        var all = await Json(await s.Http.GetAsync("/status"));
        var models = all.GetProperty("models").EnumerateArray().ToList();
        Assert.Single(models);
        Assert.Equal("stories260K", models[0].GetProperty("model").GetString());
        Assert.Equal(all.GetProperty("engine").GetProperty("total_blocks").GetInt32(), models[0].GetProperty("engine").GetProperty("total_blocks").GetInt32());
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/status?model=stories260K:some-adapter"), 404, "model_not_found", "model");
    }

    [Fact]
    public async Task Status_of_a_model_without_the_serving_engine_is_not_found()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/status?model=fake"), 404, "not_found");
    }
}
