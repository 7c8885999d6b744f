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
}
