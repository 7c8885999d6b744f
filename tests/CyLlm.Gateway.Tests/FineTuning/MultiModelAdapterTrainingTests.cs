using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>
/// The built-in trainer on a server with two base models, fine-tuning the one that is not the default: the adapter is
/// trained on that model's file, registered on its host (and only there), served at once, and again after a restart.
/// </summary>
public sealed class MultiModelAdapterTrainingTests : IDisposable
{
    // One state folder for both server runs, so the second run restores what the first trained.
    private readonly string _data = Directory.CreateTempSubdirectory("cyllm-multimodel-ft-").FullName;

    private static string Tiny => Path.Combine(Path.GetDirectoryName(RepoPaths.StoriesModel)!, "llama-2-tiny-random.gguf");

    /// <summary>The tiny model first (the default), stories260K second: the job fine-tunes the non-default one.</summary>
    private GatewayOptions Options => new() { ModelPaths = [Tiny, RepoPaths.StoriesModel], Threads = 2, DataDirectory = _data };

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open on a slow host: the temp folder is cleaned later.
        }
    }

    private static async Task<LiveServer> StartAsync(GatewayOptions options)
    {
        var s = await LiveServer.StartAsync(options);
        foreach (var host in s.App.State.Models)
        {
            await host.Loading;
        }

        return s;
    }

    private static void AssertRegisteredOnlyOnStories(LiveServer s, string tuned)
    {
        var models = s.App.State.Models;
        Assert.Equal("llama-2-tiny-random", models[0].Backend!.ModelId);
        Assert.DoesNotContain(tuned, models[0].Backend!.Adapters);
        Assert.Equal("stories260K", models[1].Backend!.ModelId);
        Assert.Contains(tuned, models[1].Backend!.Adapters);
    }

    [Fact]
    public async Task An_adapter_trained_on_the_second_model_is_served_by_it_now_and_after_a_restart()
    {
        const string probe = "What does the cat do?";
        string tuned, adapted;
        await using (var s = await StartAsync(Options))
        {
            string baseBefore = await CatAdapterJob.Chat(s, "stories260K", probe);
            Assert.DoesNotContain("mat", baseBefore);

            var (id, done) = await CatAdapterJob.TrainAsync(s);
            tuned = done.GetProperty("fine_tuned_model").GetString()!;
            Assert.Equal($"ft:stories260K:cat:{id}", tuned);
            AssertRegisteredOnlyOnStories(s, tuned);

            // The exported adapter names the file it was trained on.
            string config = File.ReadAllText(Path.Combine(_data, "fine_tuning", id, "output", "adapter", "adapter_config.json"));
            Assert.Contains("stories260K.gguf", config, StringComparison.Ordinal);

            adapted = await CatAdapterJob.Chat(s, tuned, probe);
            Assert.StartsWith(CatAdapterJob.Answer, adapted.TrimStart());
            Assert.Equal(baseBefore, await CatAdapterJob.Chat(s, "stories260K", probe));
        }

        await using (var again = await StartAsync(Options))
        {
            for (int i = 0; i < 1200 && !again.App.State.Models[1].Backend!.Adapters.Contains(tuned); i++)
            {
                await Task.Delay(25);
            }

            AssertRegisteredOnlyOnStories(again, tuned);
            Assert.Equal(adapted, await CatAdapterJob.Chat(again, tuned, probe));
        }
    }
}
