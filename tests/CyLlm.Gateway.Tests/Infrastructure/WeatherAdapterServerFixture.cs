using System.Text;
using System.Text.Json;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// A live gateway over stories260K with the weather-tools chat template (<c>--chat-template</c>) and the tool-using LoRA
/// trained by scripts/tool-adapter/train.sh loaded as "weather" (models/weather-tools/).
/// </summary>
public sealed class WeatherAdapterServerFixture : IAsyncLifetime
{
    public const string Adapter = "weather";

    public static string Folder => Path.Combine(RepoPaths.Root, "models", "weather-tools");

    public static string TemplatePath => Path.Combine(Folder, "chat_template.jinja");

    public static string AdapterPath => Path.Combine(Folder, "adapter.gguf");

    public LiveServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await LiveServer.StartStoriesAsync(o => o with { ChatTemplate = File.ReadAllText(TemplatePath) });
        string body = JsonSerializer.Serialize(new { lora_name = Adapter, lora_path = AdapterPath });
        using var resp = await Server.PostJsonAsync("/v1/load_lora_adapter", body);
        if (!resp.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"loading {AdapterPath}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
        }
    }

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}
