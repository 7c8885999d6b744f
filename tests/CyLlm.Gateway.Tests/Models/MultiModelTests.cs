using System.Text.Json;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Models;

/// <summary>Several base models in one server (repeated --model, or a folder of GGUF files).</summary>
public sealed class MultiModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-multi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Tiny => Path.Combine(Path.GetDirectoryName(RepoPaths.StoriesModel)!, "llama-2-tiny-random.gguf");

    private static async Task<string> Complete(LiveServer s, string? model)
    {
        string body = model is null
            ? """{"prompt":"Once upon a time","max_tokens":12,"temperature":0}"""
            : $$"""{"model":"{{model}}","prompt":"Once upon a time","max_tokens":12,"temperature":0}""";
        var r = await s.PostJsonAsync("/v1/completions", body);
        string text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, text);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal(model ?? "stories260K", root.GetProperty("model").GetString());
        return root.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task Each_model_answers_by_its_id_exactly_as_when_served_alone()
    {
        string aloneStories, aloneTiny;
        await using (var s = await LiveServer.StartAsync(new GatewayOptions { ModelPath = RepoPaths.StoriesModel, Threads = 2 }))
        {
            aloneStories = await Complete(s, "stories260K");
        }

        await using (var s = await LiveServer.StartAsync(new GatewayOptions { ModelPath = Tiny, Threads = 2 }))
        {
            aloneTiny = await Complete(s, "llama-2-tiny-random");
        }

        await using var both = await LiveServer.StartAsync(new GatewayOptions { ModelPaths = [RepoPaths.StoriesModel, Tiny], Threads = 2 });
        foreach (var host in both.App.State.Models)
        {
            await host.Loading;
        }

        Assert.Equal(aloneStories, await Complete(both, "stories260K"));
        Assert.Equal(aloneTiny, await Complete(both, "llama-2-tiny-random"));
        Assert.Equal(aloneStories, await Complete(both, null));

        string models = await both.Http.GetStringAsync("/v1/models");
        Assert.Contains("\"stories260K\"", models);
        Assert.Contains("\"llama-2-tiny-random\"", models);
        await ErrorAssert.IsAsync(await both.PostJsonAsync("/v1/completions", """{"model":"gpt-4","prompt":"x"}"""), 404, "model_not_found", "model");
        Assert.Equal("ok", await both.Http.GetStringAsync("/health"));
    }

    [Fact]
    public async Task A_folder_serves_every_gguf_file_in_it_and_duplicate_ids_are_a_configuration_error()
    {
        File.Copy(RepoPaths.StoriesModel, Path.Combine(_dir, "alpha.gguf"));
        File.Copy(RepoPaths.StoriesModel, Path.Combine(_dir, "beta.gguf"));
        var options = new GatewayOptions { ModelPaths = [_dir], Threads = 2 };
        Assert.Equal(["alpha", "beta"], ModelCatalog.Expand(options).Select(m => m.Id));
        await using (var s = await LiveServer.StartAsync(options))
        {
            foreach (var host in s.App.State.Models)
            {
                await host.Loading;
            }

            Assert.Equal(await Complete(s, "alpha"), await Complete(s, "beta"));
        }

        var dup = new GatewayOptions { ModelPaths = [RepoPaths.StoriesModel, Path.Combine(_dir, "alpha.gguf"), RepoPaths.StoriesModel] };
        Assert.Contains(dup.Validate(), e => e.Contains("'stories260K'", StringComparison.Ordinal));
        var empty = Directory.CreateTempSubdirectory("cyllm-gw-empty-").FullName;
        try
        {
            Assert.Contains(new GatewayOptions { ModelPaths = [empty] }.Validate(), e => e.Contains("holds no model", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
