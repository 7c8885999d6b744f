using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CyLlm.Jobs;
using CyLlm.Jobs.Sqlite;
using Xunit.Abstractions;

namespace CyLlm.Cli.Tests;

/// <summary>
/// A real `cyllm serve` killed with SIGKILL in the middle of a batch, restarted on the same data folder: the batch
/// finishes with every line answered exactly once, and no line answered before the kill is run again.
/// </summary>
public sealed class ServeBatchCrashTests(ITestOutputHelper log) : IDisposable
{
    private const int Lines = 200;

    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-serve-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_batch_killed_mid_run_resumes_after_restart_and_answers_every_line_once()
    {
        string model = CliProcess.Shared("stories260K.gguf");
        string[] args = ["--model", model, "--data-dir", _dir, "--batch-lease", "2", "--threads", "1"];
        string batchId;
        using (var first = ServeProcess.Start(args))
        {
            await first.WaitReadyAsync();
            // The first start recorded the model file's hash in the data folder.
            string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model)));
            Assert.Contains(sha, File.ReadAllText(Path.Combine(_dir, "model-files.json")));

            string fileId = await UploadAsync(first.Http, Input());
            using var create = await first.Http.PostAsync("/v1/batches", Json($$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""));
            batchId = (await ReadAsync(create)).GetProperty("id").GetString()!;

            // Kill while it runs: in progress with some, not all, lines answered.
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                using var res = await first.Http.GetAsync($"/v1/batches/{batchId}");
                var b = await ReadAsync(res);
                int done = b.GetProperty("request_counts").GetProperty("completed").GetInt32();
                Assert.NotEqual("completed", b.GetProperty("status").GetString());
                if (b.GetProperty("status").GetString() == "in_progress" && done >= 10)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "the batch did not start: " + first.Output);
                await Task.Delay(25);
            }

            first.KillHard();
        }

        var before = await AnswersAsync(batchId);
        Assert.InRange(before.Count, 10, Lines - 1);
        log.WriteLine($"killed with {before.Count} of {Lines} lines answered");

        using var second = ServeProcess.Start(args);
        await second.WaitReadyAsync();
        JsonElement final;
        var until = DateTime.UtcNow.AddSeconds(300);
        while (true)
        {
            using var res = await second.Http.GetAsync($"/v1/batches/{batchId}");
            final = await ReadAsync(res);
            if (final.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "expired")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < until, "the batch did not finish after the restart: " + second.Output);
            await Task.Delay(100);
        }

        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(Lines, final.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(0, final.GetProperty("request_counts").GetProperty("failed").GetInt32());
        using var content = await second.Http.GetAsync($"/v1/files/{final.GetProperty("output_file_id").GetString()}/content");
        var output = (await content.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Every line exactly once, in order.
        Assert.Equal(Enumerable.Range(0, Lines).Select(i => $"req-{i}"), output.Select(o => o.GetProperty("custom_id").GetString()));
        // Lines answered before the kill were not run again: their recorded answers (with their unique completion
        // ids) are the ones in the output.
        foreach (var (index, body) in before)
        {
            var response = output[index].GetProperty("response").GetProperty("body");
            Assert.Equal(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString(), response.GetProperty("id").GetString());
        }

        var after = await AnswersAsync(batchId);
        Assert.Equal(Lines, after.Count);
        Assert.Equal(Lines, after.Select(a => a.Key).Distinct().Count());
        foreach (var (index, body) in before)
        {
            Assert.Equal(body, after[index]);
        }
    }

    private static string Input()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            sb.Append("{\"custom_id\":\"req-").Append(i).Append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time ")
              .Append(i).Append("\"}],\"max_tokens\":64,\"temperature\":0.8}}\n");
        }

        return sb.ToString();
    }

    private async Task<Dictionary<int, string>> AnswersAsync(string batchId)
    {
        await using var store = await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(Path.Combine(_dir, "cyllm.db")));
        var rows = await store.ListBatchResultsAsync(TaskId.Parse(batchId));
        return rows.ToDictionary(r => r.LineIndex, r => r.ResponseBody!);
    }

    private static async Task<string> UploadAsync(HttpClient http, string content)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", "batch.jsonl" },
        };
        using var res = await http.PostAsync("/v1/files", form);
        return (await ReadAsync(res)).GetProperty("id").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage res)
    {
        string body = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, $"{(int)res.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
