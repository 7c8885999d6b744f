using System.Text.Json;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs;
using CyLlm.Jobs.Storage;
using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Tests.FineTuning;

/// <summary>Fine-tuning on a server with several base models: a job names any of them, and older jobs keep the default.</summary>
public sealed class MultiModelFineTuningTests
{
    private static string Tiny => Path.Combine(Path.GetDirectoryName(RepoPaths.StoriesModel)!, "llama-2-tiny-random.gguf");

    private static async Task<(LiveServer Server, string FileId, string FilePath)> StartAsync(ScriptedExecutor exec)
    {
        var server = await LiveServer.StartAsync(new GatewayOptions { ModelPaths = [RepoPaths.StoriesModel, Tiny], Threads = 1, FineTuneExecutorFactory = _ => exec });
        foreach (var host in server.App.State.Models)
        {
            await host.Loading;
        }

        var state = server.App.State;
        string id = "file-ft" + Guid.NewGuid().ToString("N")[..8];
        string path = Path.Combine(state.StoreHost.FilesDirectory, id);
        const string content = "{\"messages\":[]}\n";
        await File.WriteAllTextAsync(path, content);
        await state.Store.AddFileAsync(new FileRecord(id, "default", "fine-tune", "train.jsonl", content.Length, new string('0', 64), path, DateTimeOffset.UtcNow));
        return (server, id, path);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitDone(LiveServer s, string id)
    {
        for (int i = 0; i < 1200; i++)
        {
            var job = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}"));
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                return job;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"job {id} never finished");
    }

    [Fact]
    public async Task A_job_on_the_second_model_trains_that_models_file_and_is_named_after_it()
    {
        var exec = new ScriptedExecutor { Steps = 1 };
        var (s, file, _) = await StartAsync(exec);
        await using var _ = s;
        var created = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"llama-2-tiny-random\",\"training_file\":\"{file}\",\"suffix\":\"b\"}}"));
        string id = created.GetProperty("id").GetString()!;
        Assert.Equal("llama-2-tiny-random", created.GetProperty("model").GetString());
        var done = await WaitDone(s, id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal($"ft:llama-2-tiny-random:b:{id}", done.GetProperty("fine_tuned_model").GetString());
        Assert.True(exec.Runs.TryDequeue(out var spec));
        Assert.Equal("llama-2-tiny-random", spec.Model);
        Assert.Equal(Tiny, spec.BaseModelPath);

        // The default model's jobs store its own file too.
        var first = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"stories260K\",\"training_file\":\"{file}\"}}"));
        Assert.Equal("succeeded", (await WaitDone(s, first.GetProperty("id").GetString()!)).GetProperty("status").GetString());
        Assert.True(exec.Runs.TryDequeue(out spec));
        Assert.Equal(RepoPaths.StoriesModel, spec.BaseModelPath);
    }

    [Theory]
    [InlineData("gpt-4")]
    [InlineData("stories260K:adapter")]
    public async Task A_model_that_is_not_served_is_refused_at_creation_naming_the_served_models(string model)
    {
        var exec = new ScriptedExecutor();
        var (s, file, _) = await StartAsync(exec);
        await using var _ = s;
        var error = await ErrorAssert.IsAsync(await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"{model}\",\"training_file\":\"{file}\"}}"), 404, "model_not_found", "model");
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains($"'{model}'", message);
        Assert.Contains("'stories260K'", message);
        Assert.Contains("'llama-2-tiny-random'", message);
        Assert.Equal(0, (await Json(await s.Http.GetAsync("/v1/fine_tuning/jobs"))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_job_stored_before_several_models_runs_on_the_default_model()
    {
        var exec = new ScriptedExecutor { Steps = 1 };
        var (s, file, path) = await StartAsync(exec);
        await using var _ = s;

        // The spec exactly as older servers stored it: no base_model_path.
        string old = $$"""{"model":"stories260K","training_file_id":"{{file}}","training_file_path":{{JsonSerializer.Serialize(path)}},"method":"lora","lora_rank":8,"lora_alpha":16,"lora_targets":["q","v"],"seed":5,"checkpoint_every":50}""";
        var spec = FineTuneJson.Deserialize<FineTuneJobSpec>(old);
        Assert.Null(spec.BaseModelPath);
        var id = TaskId.New(TaskKind.FineTuning);
        await s.App.State.Store.CreateTaskAsync(TaskStateMachine.Create(id, "default", DateTimeOffset.UtcNow, old));
        Assert.Equal("succeeded", (await WaitDone(s, id.Value)).GetProperty("status").GetString());
        Assert.True(exec.Runs.TryDequeue(out var ran));
        Assert.Null(ran.BaseModelPath);

        // The built-in trainer of this server falls back to the default model's file for it, and trains others' own.
        var trainer = Assert.IsType<TrainerFineTuneExecutor>(FineTuneExecutors.Resolve(new GatewayOptions { ModelPaths = [RepoPaths.StoriesModel, Tiny] })!(s.App.State));
        Assert.Equal(RepoPaths.StoriesModel, trainer.BasePathOf(spec));
        Assert.Equal(Tiny, trainer.BasePathOf(spec with { BaseModelPath = Tiny }));
    }

    [Fact]
    public void The_stored_spec_keeps_its_old_fields_and_adds_the_base_model_path_only_when_known()
    {
        var spec = new FineTuneJobSpec { Model = "m", TrainingFileId = "f", TrainingFilePath = "/p" };
        Assert.DoesNotContain("base_model_path", FineTuneJson.Serialize(spec), StringComparison.Ordinal);
        string json = FineTuneJson.Serialize(spec with { BaseModelPath = "/models/m.gguf" });
        Assert.Contains("\"base_model_path\":\"/models/m.gguf\"", json, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"m\"", json, StringComparison.Ordinal);
        Assert.Equal("/models/m.gguf", FineTuneJson.Deserialize<FineTuneJobSpec>(json).BaseModelPath);
    }
}
