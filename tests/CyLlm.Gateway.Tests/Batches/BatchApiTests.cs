using System.Text.Json;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Batches;

/// <summary>POST/GET /v1/batches and cancel: a batch runs in-process through the chat handler and writes OpenAI output files.</summary>
public sealed class BatchApiTests
{
    [Fact]
    public async Task A_batch_runs_every_line_once_and_reports_counts_files_and_timestamps()
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend);
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(12, maxTokens: 4));
        var created = await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!, extra: ""","metadata":{"job":"nightly"}""");
        string id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("batch_", id);
        Assert.Equal("batch", created.GetProperty("object").GetString());
        Assert.Equal("validating", created.GetProperty("status").GetString());
        Assert.Equal("/v1/chat/completions", created.GetProperty("endpoint").GetString());
        Assert.Equal("nightly", created.GetProperty("metadata").GetProperty("job").GetString());
        Assert.Equal(created.GetProperty("created_at").GetInt64() + (24 * 3600), created.GetProperty("expires_at").GetInt64());

        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        var counts = done.GetProperty("request_counts");
        Assert.Equal((12, 12, 0), (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));
        foreach (string ts in new[] { "in_progress_at", "finalizing_at", "completed_at" })
        {
            Assert.True(done.GetProperty(ts).GetInt64() >= done.GetProperty("created_at").GetInt64(), ts);
        }

        foreach (string ts in new[] { "failed_at", "expired_at", "cancelling_at", "cancelled_at" })
        {
            Assert.Equal(JsonValueKind.Null, done.GetProperty(ts).ValueKind);
        }

        Assert.Equal(JsonValueKind.Null, done.GetProperty("error_file_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, done.GetProperty("errors").ValueKind);
        Assert.Equal(12, backend.Started);

        string output = await DurableApi.ContentAsync(s.Http, done.GetProperty("output_file_id").GetString()!);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"req-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        foreach (var l in lines)
        {
            var response = l.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.Equal("chat.completion", response.GetProperty("body").GetProperty("object").GetString());
            Assert.Equal(4, response.GetProperty("body").GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind);
        }

        var outFile = await DurableApi.GetJsonAsync(s.Http, $"/v1/files/{done.GetProperty("output_file_id").GetString()}");
        Assert.Equal("batch_output", outFile.GetProperty("purpose").GetString());
    }

    [Fact]
    public async Task Failing_lines_go_to_the_error_file_with_their_status_and_error_object()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string input = DurableApi.ChatLines(2)
            + """{"custom_id":"bad-model","method":"POST","url":"/v1/chat/completions","body":{"model":"nope","messages":[{"role":"user","content":"x"}]}}""" + "\n"
            + """{"custom_id":"streaming","method":"POST","url":"/v1/chat/completions","body":{"model":"fake","stream":true,"messages":[{"role":"user","content":"x"}]}}""" + "\n";
        var file = await DurableApi.UploadAsync(s.Http, input);
        var created = await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!);
        var done = await DurableApi.WaitTerminalAsync(s.Http, created.GetProperty("id").GetString()!);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(2, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(2, done.GetProperty("request_counts").GetProperty("failed").GetInt32());
        string errors = await DurableApi.ContentAsync(s.Http, done.GetProperty("error_file_id").GetString()!);
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["bad-model", "streaming"], lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.Equal(404, lines[0].GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("model_not_found", lines[0].GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(400, lines[1].GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("stream", lines[1].GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Completions_and_embeddings_batches_use_their_endpoints()
    {
        await using var s = await LiveServer.StartAsync(new Gateway.GatewayOptions { BackendFactory = () => new PermitBackend() });
        string completions = """{"custom_id":"c","method":"POST","url":"/v1/completions","body":{"model":"fake","prompt":"hi","max_tokens":2}}""" + "\n";
        string embeddings = """{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"fake","input":"hi"}}""" + "\n";
        foreach (var (input, endpoint, objectName) in new[] { (completions, "/v1/completions", "text_completion"), (embeddings, "/v1/embeddings", "list") })
        {
            var file = await DurableApi.UploadAsync(s.Http, input);
            var created = await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!, endpoint);
            var done = await DurableApi.WaitTerminalAsync(s.Http, created.GetProperty("id").GetString()!);
            Assert.Equal("completed", done.GetProperty("status").GetString());
            var line = JsonDocument.Parse(await DurableApi.ContentAsync(s.Http, done.GetProperty("output_file_id").GetString()!)).RootElement;
            Assert.Equal(objectName, line.GetProperty("response").GetProperty("body").GetProperty("object").GetString());
        }
    }

    [Fact]
    public async Task Lines_for_another_endpoint_fail_the_batch_in_validation_naming_the_line()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(3));
        var created = await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!, "/v1/embeddings");
        var done = await DurableApi.WaitTerminalAsync(s.Http, created.GetProperty("id").GetString()!);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("failed_at").ValueKind);
        var error = done.GetProperty("errors").GetProperty("data")[0];
        Assert.Equal("invalid_input_file", error.GetProperty("code").GetString());
        Assert.Equal(1, error.GetProperty("line").GetInt32());
        Assert.Contains("/v1/embeddings", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Bad_create_requests_get_clear_errors()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        string ftId = (await DurableApi.UploadAsync(s.Http, "{\"messages\":[]}\n", "fine-tune")).GetProperty("id").GetString()!;
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, "/v1/images")), 400, "invalid_request_error", "endpoint");
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest("file-missing0000")), 404, "not_found", "input_file_id");
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(ftId)), 400, "invalid_request_error", "input_file_id");
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, extra: ""","color":"red" """)), 400, "invalid_request_error", "color");
        await ErrorAssert.IsAsync(await s.PostJsonAsync("/v1/batches", $$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/completions","completion_window":"1h"}"""), 400, "invalid_request_error", "completion_window");
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, extra: ""","metadata":{"k":1}""")), 400, "invalid_request_error", "metadata.k");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/batches/batch_nope"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/batches/ftjob-abc"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/batches?after=zzz"), 400, "invalid_request_error", "after");
        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/batches");
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Listing_pages_newest_first_with_after_and_limit()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await DurableApi.CreateBatchAsync(s.Http, fileId)).GetProperty("id").GetString()!);
        }

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await DurableApi.GetJsonAsync(s.Http, "/v1/batches?limit=2" + (after is null ? "" : $"&after={after}"));
            var data = page.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
            Assert.InRange(data.Count, 1, 2);
            seen.AddRange(data);
            Assert.Equal(data[^1], page.GetProperty("last_id").GetString());
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            after = data[^1];
        }

        Assert.Equal(ids.OrderBy(x => x, StringComparer.Ordinal).ToHashSet(), seen.ToHashSet());
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public async Task Cancelling_a_running_batch_stops_it_with_partial_results()
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend);
        backend.Gate.Reset();
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(30));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
        Assert.True(await backend.StartedSignal.WaitAsync(TimeSpan.FromSeconds(30)), "the first line never started");
        using var cancel = await s.Http.PostAsync($"/v1/batches/{id}/cancel", null);
        var cancelling = await DurableApi.OkJsonAsync(cancel);
        Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, cancelling.GetProperty("cancelling_at").ValueKind);
        backend.Gate.Set();
        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        int completed = done.GetProperty("request_counts").GetProperty("completed").GetInt32();
        Assert.InRange(completed, 1, 29);
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("cancelled_at").ValueKind);
        Assert.Equal(completed, (await DurableApi.ContentAsync(s.Http, done.GetProperty("output_file_id").GetString()!)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using var again = await s.Http.PostAsync($"/v1/batches/{id}/cancel", null);
        await ErrorAssert.IsAsync(again, 409, "invalid_request_error");
    }

    [Fact]
    public async Task A_batch_still_running_when_its_window_passes_expires_with_what_was_answered()
    {
        var time = new Auth.ManualTime(DateTimeOffset.UtcNow);
        var backend = new PermitBackend(initialPermits: 0);
        // A lease longer than the clock jump, so the worker still holds the batch when the window passes; one line at a
        // time, so exactly one line is in flight when it does.
        await using var s = await LiveServer.StartAsync(new Gateway.GatewayOptions
        {
            BackendFactory = () => backend,
            Time = time,
            BatchLeaseDuration = TimeSpan.FromDays(3),
            BatchConcurrency = 1,
        });
        var file = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(10));
        string id = (await DurableApi.CreateBatchAsync(s.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
        await DurableApi.WaitBatchAsync(s.Http, id, b => b.GetProperty("status").GetString() == "in_progress");
        // The first line is waiting for the engine when the 24 h window passes; it finishes, the rest never start.
        time.Advance(TimeSpan.FromHours(25));
        backend.Release(100);
        var done = await DurableApi.WaitTerminalAsync(s.Http, id);
        Assert.Equal("expired", done.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("expired_at").ValueKind);
        Assert.Equal("batch_expired", done.GetProperty("errors").GetProperty("data")[0].GetProperty("code").GetString());
        Assert.True(done.GetProperty("request_counts").GetProperty("completed").GetInt32() == 1, done.ToString() + (done.GetProperty("error_file_id").GetString() is { } ef ? await DurableApi.ContentAsync(s.Http, ef) : ""));
        Assert.Equal(1, backend.Generated);
        var task = await DurableApi.GetJsonAsync(s.Http, $"/v1/tasks/{id}");
        Assert.Equal("failed", task.GetProperty("status").GetString());
        Assert.Equal("expired", task.GetProperty("stage").GetString());
    }

    [Fact]
    public async Task A_batch_stopped_with_the_server_resumes_on_the_next_server_without_rerunning_answered_lines()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "cyllm-batch-resume-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var first = new PermitBackend(initialPermits: 7);
            string id;
            await using (var s1 = await LiveServer.StartAsync(new Gateway.GatewayOptions { BackendFactory = () => first, DataDirectory = dataDir }))
            {
                var file = await DurableApi.UploadAsync(s1.Http, DurableApi.ChatLines(20));
                id = (await DurableApi.CreateBatchAsync(s1.Http, file.GetProperty("id").GetString()!)).GetProperty("id").GetString()!;
                // Seven lines get answered; the eighth waits for a permit and is cancelled with the server, never recorded.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while ((await s1.App.State.Store.ListBatchResultsAsync(CyLlm.Jobs.TaskId.Parse(id))).Count < 7)
                {
                    Assert.True(DateTime.UtcNow < deadline, "seven lines were not answered");
                    await Task.Delay(10);
                }
            }

            var answeredBefore = await CountAnsweredAsync(dataDir, id);
            Assert.Equal(7, answeredBefore);
            var second = new PermitBackend();
            await using var s2 = await LiveServer.StartAsync(new Gateway.GatewayOptions { BackendFactory = () => second, DataDirectory = dataDir });
            var done = await DurableApi.WaitTerminalAsync(s2.Http, id);
            Assert.Equal("completed", done.GetProperty("status").GetString());
            Assert.Equal(20, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
            Assert.Equal(13, second.Generated);
            var ids = (await DurableApi.ContentAsync(s2.Http, done.GetProperty("output_file_id").GetString()!))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"req-{i}"), ids);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<int> CountAnsweredAsync(string dataDir, string batchId)
    {
        await using var store = await CyLlm.Jobs.Sqlite.SqliteJobStore.OpenAsync(new CyLlm.Jobs.Sqlite.SqliteJobStoreOptions(Path.Combine(dataDir, "cyllm.db")));
        return (await store.ListBatchResultsAsync(CyLlm.Jobs.TaskId.Parse(batchId))).Count;
    }
}
