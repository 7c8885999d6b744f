using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>HTTP helpers for the Files, Batch and Tasks APIs shared by their tests.</summary>
internal static class DurableApi
{
    /// <summary>A JSONL batch input of <paramref name="count"/> chat lines (custom ids req-0…) for model "fake".</summary>
    public static string ChatLines(int count, int maxTokens = 3, string url = "/v1/chat/completions")
    {
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Append("{\"custom_id\":\"req-").Append(i).Append("\",\"method\":\"POST\",\"url\":\"").Append(url)
              .Append("\",\"body\":{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ").Append(i)
              .Append("\"}],\"max_tokens\":").Append(maxTokens).Append("}}\n");
        }

        return sb.ToString();
    }

    public static HttpRequestMessage UploadRequest(string content, string purpose = "batch", string fileName = "input.jsonl", string? idempotencyKey = null, string? apiKey = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", fileName },
        };
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/files") { Content = form };
        Decorate(req, idempotencyKey, apiKey);
        return req;
    }

    public static async Task<JsonElement> UploadAsync(HttpClient http, string content, string purpose = "batch", string? apiKey = null)
    {
        using var res = await http.SendAsync(UploadRequest(content, purpose, apiKey: apiKey));
        return await OkJsonAsync(res);
    }

    public static HttpRequestMessage CreateBatchRequest(string fileId, string endpoint = "/v1/chat/completions", string? idempotencyKey = null, string? apiKey = null, string? extra = null)
    {
        string json = $$"""{"input_file_id":"{{fileId}}","endpoint":"{{endpoint}}","completion_window":"24h"{{extra}}}""";
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/batches") { Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")) };
        Decorate(req, idempotencyKey, apiKey);
        return req;
    }

    public static async Task<JsonElement> CreateBatchAsync(HttpClient http, string fileId, string endpoint = "/v1/chat/completions", string? apiKey = null, string? extra = null)
    {
        using var res = await http.SendAsync(CreateBatchRequest(fileId, endpoint, apiKey: apiKey, extra: extra));
        return await OkJsonAsync(res);
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, string? apiKey = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        Decorate(req, null, apiKey);
        using var res = await http.SendAsync(req);
        return await OkJsonAsync(res);
    }

    /// <summary>Polls GET /v1/batches/{id} until <paramref name="done"/> holds (fails after 60 s).</summary>
    public static async Task<JsonElement> WaitBatchAsync(HttpClient http, string id, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var b = await GetJsonAsync(http, $"/v1/batches/{id}");
            if (done(b))
            {
                return b;
            }

            Assert.True(DateTime.UtcNow < deadline, $"batch {id} did not reach the awaited state; last: {b}");
            await Task.Delay(20);
        }
    }

    /// <summary>Polls a fine-tuning job until it succeeded, failed or was cancelled.</summary>
    public static async Task<JsonElement> WaitFineTuneAsync(HttpClient http, string id)
    {
        for (int i = 0; i < 1200; i++)
        {
            var job = await GetJsonAsync(http, $"/v1/fine_tuning/jobs/{id}");
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                return job;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"fine-tuning job {id} did not finish");
    }

    public static Task<JsonElement> WaitTerminalAsync(HttpClient http, string id) =>
        WaitBatchAsync(http, id, b => b.GetProperty("status").GetString() is "completed" or "failed" or "expired" or "cancelled");

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage res)
    {
        string body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, $"{(int)res.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> JsonAsync(HttpResponseMessage res)
    {
        string body = await res.Content.ReadAsStringAsync();
        return (res.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    public static async Task<string> ContentAsync(HttpClient http, string fileId, string? apiKey = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{fileId}/content");
        Decorate(req, null, apiKey);
        using var res = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        return await res.Content.ReadAsStringAsync();
    }

    private static void Decorate(HttpRequestMessage req, string? idempotencyKey, string? apiKey)
    {
        if (idempotencyKey is not null)
        {
            req.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (apiKey is not null)
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }
}
