using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Tests.FineTuning;

public sealed class FineTuningApiTests
{
    private static async Task<(LiveServer Server, string FileId)> StartAsync(ScriptedExecutor exec, string content = "{\"messages\":[]}\n")
    {
        var server = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { FineTuneExecutorFactory = _ => exec });
        var state = server.App.State;
        string id = "file-ft" + Guid.NewGuid().ToString("N")[..8];
        string path = Path.Combine(state.StoreHost.FilesDirectory, id);
        await File.WriteAllTextAsync(path, content);
        await state.Store.AddFileAsync(new FileRecord(id, "default", "fine-tune", "train.jsonl", content.Length, new string('0', 64), path, DateTimeOffset.UtcNow));
        return (server, id);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForStatus(LiveServer s, string id, params string[] statuses)
    {
        for (int i = 0; i < 600; i++)
        {
            var job = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}"));
            if (statuses.Contains(job.GetProperty("status").GetString()))
            {
                return job;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"job {id} never reached {string.Join("/", statuses)}");
    }

    [Fact]
    public async Task A_job_runs_to_succeeded_with_events_checkpoints_and_the_openai_shapes()
    {
        var (s, file) = await StartAsync(new ScriptedExecutor());
        await using var _ = s;
        var created = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs",
            $"{{\"model\":\"fake\",\"training_file\":\"{file}\",\"suffix\":\"demo\",\"seed\":7,\"hyperparameters\":{{\"n_epochs\":2,\"batch_size\":\"auto\"}},\"lora\":{{\"rank\":4,\"target_modules\":[\"q\",\"v\",\"o\"]}}}}"));
        Assert.Equal("fine_tuning.job", created.GetProperty("object").GetString());
        string id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("ftjob-", id);
        Assert.Equal(7, created.GetProperty("seed").GetInt32());
        Assert.Equal(2, created.GetProperty("hyperparameters").GetProperty("n_epochs").GetInt32());
        Assert.Equal("auto", created.GetProperty("hyperparameters").GetProperty("batch_size").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("fine_tuned_model").ValueKind);

        var done = await WaitForStatus(s, id, "succeeded", "failed");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal($"ft:fake:demo:{id}", done.GetProperty("fine_tuned_model").GetString());
        Assert.Equal(60, done.GetProperty("trained_tokens").GetInt64());
        Assert.True(done.GetProperty("finished_at").GetInt64() >= done.GetProperty("created_at").GetInt64());

        var events = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"));
        var data = events.GetProperty("data").EnumerateArray().ToList();
        Assert.All(data, e => Assert.Equal("fine_tuning.job.event", e.GetProperty("object").GetString()));
        Assert.Contains(data, e => e.GetProperty("type").GetString() == "metrics" && e.GetProperty("data").GetProperty("step").GetInt32() == 3);
        Assert.Equal("Created fine-tuning job", data[^1].GetProperty("message").GetString());
        Assert.Contains("succeeded", data[0].GetProperty("message").GetString());

        var ckpts = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}/checkpoints"));
        var list = ckpts.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([3L, 2, 1], list.Select(c => c.GetProperty("step_number").GetInt64()));
        Assert.Equal(1.0, list[1].GetProperty("metrics").GetProperty("train_loss").GetDouble(), 9);
        Assert.Equal($"ft:fake:demo:{id}:ckpt-step-3", list[0].GetProperty("fine_tuned_model_checkpoint").GetString());

        var jobs = await Json(await s.Http.GetAsync("/v1/fine_tuning/jobs"));
        Assert.Equal(id, jobs.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.False(jobs.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task Invalid_training_data_fails_the_job_with_the_row_error()
    {
        var (s, file) = await StartAsync(new ScriptedExecutor(), "bad\n");
        await using var _ = s;
        var created = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"fake\",\"training_file\":\"{file}\"}}"));
        var done = await WaitForStatus(s, created.GetProperty("id").GetString()!, "failed", "succeeded");
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal("invalid_training_file", done.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("line 1", done.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_running_job_can_be_cancelled_once()
    {
        var exec = new ScriptedExecutor { Steps = 5, BlockAtStep = 2 };
        var (s, file) = await StartAsync(exec);
        await using var _ = s;
        var created = await Json(await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"fake\",\"training_file\":\"{file}\"}}"));
        string id = created.GetProperty("id").GetString()!;
        await exec.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var cancelled = await Json(await s.Http.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        await ErrorAssert.IsAsync(await s.Http.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null), 400, "invalid_request_error");
        var ckpts = await Json(await s.Http.GetAsync($"/v1/fine_tuning/jobs/{id}/checkpoints"));
        Assert.Equal(1, ckpts.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("{\"training_file\":\"FILE\"}", 400, "invalid_request_error", "model")]
    [InlineData("{\"model\":\"other\",\"training_file\":\"FILE\"}", 404, "model_not_found", "model")]
    [InlineData("{\"model\":\"fake\"}", 400, "invalid_request_error", "training_file")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"file-nope\"}", 400, "invalid_request_error", "training_file")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"hyperparameters\":{\"n_epochs\":0}}", 400, "invalid_request_error", "hyperparameters.n_epochs")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"method\":{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":{\"learning_rate_multiplier\":\"fast\"}}}}", 400, "invalid_request_error", "method.supervised.hyperparameters.learning_rate_multiplier")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"method\":{\"type\":\"dpo\"}}", 400, "invalid_request_error", "method.type")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"suffix\":\"a:b\"}", 400, "invalid_request_error", "suffix")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"lora\":{\"rank\":0}}", 400, "invalid_request_error", "lora.rank")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"lora\":{\"target_modules\":[\"q\",\"zz\"]}}", 400, "invalid_request_error", "lora.target_modules")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"integrations\":[]}", 400, "invalid_request_error", "integrations")]
    [InlineData("{\"model\":\"fake\",\"training_file\":\"FILE\",\"early_stopping\":{\"patience\":2}}", 400, "invalid_request_error", "validation_file")]
    public async Task Bad_requests_name_the_parameter(string body, int status, string code, string param)
    {
        var (s, file) = await StartAsync(new ScriptedExecutor());
        await using var _ = s;
        await ErrorAssert.IsAsync(await s.PostJsonAsync("/v1/fine_tuning/jobs", body.Replace("FILE", file, StringComparison.Ordinal)), status, code, param);
        Assert.Equal(0, (await Json(await s.Http.GetAsync("/v1/fine_tuning/jobs"))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_jobs_are_404_and_a_batch_file_is_not_a_training_file()
    {
        var (s, _) = await StartAsync(new ScriptedExecutor());
        await using var __ = s;
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/fine_tuning/jobs/ftjob-doesnotexist"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/fine_tuning/jobs/batch_abc/events"), 404, "not_found");
        var state = s.App.State;
        string path = Path.Combine(state.StoreHost.FilesDirectory, "file-batch1");
        await File.WriteAllTextAsync(path, "{}");
        await state.Store.AddFileAsync(new FileRecord("file-batch1", "default", "batch", "b.jsonl", 2, new string('0', 64), path, DateTimeOffset.UtcNow));
        var r = await s.PostJsonAsync("/v1/fine_tuning/jobs", "{\"model\":\"fake\",\"training_file\":\"file-batch1\"}");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("purpose 'batch'", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_same_idempotency_key_creates_one_job_and_replays_it()
    {
        var (s, file) = await StartAsync(new ScriptedExecutor { Steps = 1 });
        await using var _ = s;
        string body = $"{{\"model\":\"fake\",\"training_file\":\"{file}\"}}";
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/fine_tuning/jobs") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            req.Headers.Add("Idempotency-Key", "ft-once");
            var r = await s.Http.SendAsync(req);
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }));
        var ids = responses.Where(r => r.Item1 == 200).Select(r => JsonDocument.Parse(r.Item2).RootElement.GetProperty("id").GetString()).Distinct().ToList();
        Assert.Single(ids);
        Assert.All(responses, r => Assert.True(r.Item1 is 200 or 409, r.Item2));
        var jobs = await Json(await s.Http.GetAsync("/v1/fine_tuning/jobs"));
        Assert.Equal(1, jobs.GetProperty("data").GetArrayLength());
    }
}
