using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Observability;

/// <summary>
/// Captures every log line of a real server run (Trace level) while a real-looking API key travels in the
/// Authorization and api-key headers, in a prompt, in a model name (error path), through an exception (500 path)
/// and through code that logs it on purpose — and checks the key never appears in any line.
/// </summary>
public sealed class LogRedactionServerTests
{
    [Fact]
    public async Task The_key_never_appears_in_any_log_line()
    {
        var capture = new CapturingLoggerProvider();
        var options = new GatewayOptions { BackendFactory = () => new ThrowingBackend(), ConfigureLogging = b => b.AddProvider(capture) };
        string key;
        await using (var server = await LiveServer.StartAsync(options, auth: true, logLevel: LogLevel.Trace))
        {
            // A real key of this server's store, so requests pass authentication and reach the handlers.
            var issued = await new ApiKeyService(server.App.State.Store, TimeProvider.System)
                .CreateAsync(new ApiKeySpec("default", [AuthScopes.Inference], [], null), createTenant: true);
            key = issued.Secret;
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            http.DefaultRequestHeaders.Add("api-key", key);

            async Task<int> Post(HttpClient c, string path, string json)
            {
                using var r = await c.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
                return (int)r.StatusCode;
            }

            // Prompt text on the 500 path (the backend throws), a model name (404), a bad field name (400), a query string.
            Assert.Equal(500, await Post(http, "/v1/chat/completions", $"{{\"model\":\"fake\",\"messages\":[{{\"role\":\"user\",\"content\":\"my key is {key}\"}}]}}"));
            Assert.Equal(404, await Post(http, "/v1/completions", $"{{\"model\":\"{key}\",\"prompt\":\"{key}\"}}"));
            Assert.Equal(400, await Post(http, "/v1/completions", $"{{\"{key}\":1}}"));
            using (await http.GetAsync($"/v1/models?api-key={key}"))
            {
            }

            // A wrong key of the right shape: the 401 path.
            using var wrong = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key[..^4] + "zzzz");
            Assert.Equal(401, await Post(wrong, "/v1/completions", "{\"model\":\"fake\",\"prompt\":\"hi\"}"));

            // Code that tries to leak: message text, a structured field, a scope, an exception.
            var log = server.App.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Leaky");
            using (log.BeginScope("caller {ApiKey}", key))
            {
                log.LogWarning("user sent {Prompt} with header Authorization: Bearer {Auth}", $"prompt {key}", key);
                log.LogError(new InvalidOperationException($"failed for {key}"), "boom {Detail}", key);
            }
        }

        var lines = capture.Lines.ToArray();
        Assert.True(lines.Length >= 8, $"only {lines.Length} lines captured");
        Assert.Contains(lines, l => l.Contains("boom") && l.Contains("InvalidOperationException"));
        Assert.Contains(lines, l => l.Contains("NullReferenceException"));
        Assert.Contains(lines, l => l.Contains("RequestId=req_"));
        foreach (string line in lines)
        {
            Assert.DoesNotContain(key, line);
            Assert.DoesNotContain(key[10..], line);
            Assert.DoesNotContain(key[^12..], line);
            Assert.DoesNotContain("my key is", line);
            using var _ = JsonDocument.Parse(line);
        }
    }
}
