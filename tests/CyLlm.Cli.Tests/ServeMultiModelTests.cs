using System.Text;
using System.Text.Json;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm serve --model A --model B` serves both base models, the first as the default.</summary>
public sealed class ServeMultiModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-serve-multi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Repeated_model_flags_serve_every_model_by_its_id()
    {
        using var serve = ServeProcess.Start("--data-dir", _dir, "--threads", "1",
            "--model", CliProcess.Shared("stories260K.gguf"), "--model", CliProcess.Shared("llama-2-tiny-random.gguf"));
        await serve.WaitReadyAsync();
        foreach (string model in new[] { "stories260K", "llama-2-tiny-random" })
        {
            using var body = new StringContent($$"""{"model":"{{model}}","prompt":"Once","max_tokens":4,"temperature":0}""", Encoding.UTF8, "application/json");
            using var res = await serve.Http.PostAsync("/v1/completions", body);
            string json = await res.Content.ReadAsStringAsync();
            Assert.True(res.IsSuccessStatusCode, json + "\n" + serve.Output);
            Assert.Equal(model, JsonDocument.Parse(json).RootElement.GetProperty("model").GetString());
        }

        string models = await serve.Http.GetStringAsync("/v1/models");
        Assert.Contains("\"stories260K\"", models);
        Assert.Contains("\"llama-2-tiny-random\"", models);
    }

    private string Settings(params string[] models)
    {
        string path = Path.Combine(_dir, "settings.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { Gateway = new { Models = models } }));
        return path;
    }

    private static async Task<string[]> ModelIds(ServeProcess serve)
    {
        var doc = JsonDocument.Parse(await serve.Http.GetStringAsync("/v1/models"));
        return [.. doc.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task The_settings_file_lists_the_models_and_typed_model_flags_replace_the_list()
    {
        string config = Settings(CliProcess.Shared("stories260K.gguf"), CliProcess.Shared("llama-2-tiny-random.gguf"));
        using (var serve = ServeProcess.Start("--data-dir", _dir, "--threads", "1", "--config", config))
        {
            await serve.WaitReadyAsync();
            string[] ids = await ModelIds(serve);
            Assert.Contains("stories260K", ids);
            Assert.Contains("llama-2-tiny-random", ids);
            using var body = new StringContent("""{"prompt":"Once","max_tokens":2,"temperature":0}""", Encoding.UTF8, "application/json");
            using var res = await serve.Http.PostAsync("/v1/completions", body);
            string json = await res.Content.ReadAsStringAsync();
            Assert.True(res.IsSuccessStatusCode, json + "\n" + serve.Output);
            Assert.Equal("stories260K", JsonDocument.Parse(json).RootElement.GetProperty("model").GetString());
        }

        using (var serve = ServeProcess.Start("--data-dir", _dir, "--threads", "1", "--config", config, "--model", CliProcess.Shared("llama-2-tiny-random.gguf")))
        {
            await serve.WaitReadyAsync();
            string[] ids = await ModelIds(serve);
            Assert.Contains("llama-2-tiny-random", ids);
            Assert.DoesNotContain("stories260K", ids);
        }
    }

    [Fact]
    public void Every_bad_configured_model_is_listed_and_the_server_does_not_start()
    {
        string missing = Path.Combine(_dir, "missing.gguf");
        string config = Settings(CliProcess.Shared("stories260K.gguf"), "", missing, CliProcess.Shared("stories260K.gguf"));
        var r = CliProcess.Run("serve", "--config", config, "--data-dir", _dir, "--no-auth", "--port", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Gateway:Models:1", r.StdErr);
        Assert.Contains($"Gateway:Models: --model {missing}: no such file or folder", r.StdErr);
        Assert.Contains("'stories260K'", r.StdErr);
        Assert.Contains("3 problem(s)", r.StdErr);
    }
}
