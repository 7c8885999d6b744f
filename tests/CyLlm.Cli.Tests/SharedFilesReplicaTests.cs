using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace CyLlm.Cli.Tests;

/// <summary>
/// Issue 17: two real `cyllm serve` replicas on one PostgreSQL (a scratch database of their own), each with its own
/// scratch --data-dir. File contents live in the store (--file-storage defaults to store on PostgreSQL), so a file
/// uploaded to one downloads byte-identical from the other; a batch whose replica is killed with SIGKILL is finished by
/// the other once its lease (--batch-lease) lapses, every line answered exactly once. Needs the PostgreSQL of
/// .ci/services.sh and fails, never skips, without it, like <see cref="StoreOptionTests"/>.
/// </summary>
public sealed class SharedFilesReplicaTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const int Lines = 200;

    /// <summary>Padding characters of the fine-tune file: 1-, 2- and 3-byte UTF-8, so chunk edges fall inside characters.</summary>
    private const string Alphabet = "abcdeéö漢字 xyz";

    private ScratchPostgresDatabase _db = null!;

    public async Task InitializeAsync() => _db = await ScratchPostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_file_uploaded_to_one_replica_downloads_byte_identical_from_the_other_and_a_delete_is_seen_by_both()
    {
        string dirA = Scratch("a"), dirB = Scratch("b");
        using var a = Replica(dirA);
        await a.WaitReadyAsync(); // the first replica migrates the empty database
        using var b = Replica(dirB);
        await b.WaitReadyAsync();

        // About 3 MB of fine-tune JSONL with multi-byte UTF-8: several 1 MiB chunks in the store, the last one partial.
        byte[] content = FineTuneFile(2_300_000);
        string id = await UploadAsync(a.Http, "fine-tune", "train.jsonl", content);
        // Nothing of it stays in A's data folder: the staged copy moved into the store.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dirA, "files")));
        Assert.Equal("store:" + id, await _db.ScalarAsync<string>("SELECT path FROM files WHERE id = @id", ("id", id)));
        Assert.True(content.Length > 2 << 20 && content.Length % (1 << 20) != 0, $"{content.Length} bytes: several chunks and a partial one");
        Assert.Equal((content.Length >> 20) + 1, await _db.ScalarAsync<long>("SELECT chunk_count FROM blobs WHERE id = @id", ("id", id)));

        using (var meta = await b.Http.GetAsync($"/v1/files/{id}"))
        {
            var m = await ReadAsync(meta);
            Assert.Equal(content.Length, m.GetProperty("bytes").GetInt64());
            Assert.Equal("train.jsonl", m.GetProperty("filename").GetString());
        }

        using (var download = await b.Http.GetAsync($"/v1/files/{id}/content"))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(content.Length, download.Content.Headers.ContentLength);
            Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
        }

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dirB, "files")));

        using (var del = await b.Http.DeleteAsync($"/v1/files/{id}"))
        {
            Assert.True((await ReadAsync(del)).GetProperty("deleted").GetBoolean());
        }

        foreach (var replica in new[] { a, b })
        {
            using var gone = await replica.Http.GetAsync($"/v1/files/{id}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            using var goneContent = await replica.Http.GetAsync($"/v1/files/{id}/content");
            Assert.Equal(HttpStatusCode.NotFound, goneContent.StatusCode);
        }

        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM blobs WHERE id = @id", ("id", id)));
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM blob_chunks WHERE blob_id = @id", ("id", id)));
    }

    [Fact]
    public async Task A_batch_whose_replica_is_killed_is_finished_by_the_other_with_every_line_once()
    {
        using var a = Replica(Scratch("a"), "--batch-lease", "2");
        await a.WaitReadyAsync();
        using var b = Replica(Scratch("b"), "--batch-lease", "2");
        await b.WaitReadyAsync();

        string fileId = await UploadAsync(a.Http, "batch", "batch.jsonl", Encoding.UTF8.GetBytes(BatchInput()));
        using var create = await a.Http.PostAsync("/v1/batches", Json($$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""));
        string batchId = (await ReadAsync(create)).GetProperty("id").GetString()!;

        // Wait until some, not all, lines are answered, then kill whichever replica holds the batch's lease.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string? owner;
        while (true)
        {
            using var res = await b.Http.GetAsync($"/v1/batches/{batchId}");
            var batch = await ReadAsync(res);
            Assert.NotEqual("completed", batch.GetProperty("status").GetString());
            owner = await _db.ScalarAsync<string>("SELECT owner FROM leases WHERE task_id = @id", ("id", batchId));
            if (batch.GetProperty("status").GetString() == "in_progress" && batch.GetProperty("request_counts").GetProperty("completed").GetInt32() >= 10 && owner is not null)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the batch did not start: " + a.Output + b.Output);
            await Task.Delay(25);
        }

        int ownerPid = int.Parse(owner.Split('-')[1], CultureInfo.InvariantCulture);
        Assert.Contains(ownerPid, new[] { a.ProcessId, b.ProcessId });
        var (victim, survivor) = ownerPid == a.ProcessId ? (a, b) : (b, a);
        victim.KillHard();
        var before = await AnswersAsync(batchId);
        Assert.InRange(before.Count, 10, Lines - 1);
        log.WriteLine($"killed replica {(victim == a ? "A" : "B")} (pid {ownerPid}) with {before.Count} of {Lines} lines answered");

        JsonElement final;
        var until = DateTime.UtcNow.AddSeconds(300);
        while (true)
        {
            using var res = await survivor.Http.GetAsync($"/v1/batches/{batchId}");
            final = await ReadAsync(res);
            if (final.GetProperty("status").GetString() is "completed" or "failed" or "cancelled" or "expired")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < until, "the other replica did not finish the batch: " + survivor.Output);
            await Task.Delay(100);
        }

        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(Lines, final.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(0, final.GetProperty("request_counts").GetProperty("failed").GetInt32());
        string outputId = final.GetProperty("output_file_id").GetString()!;
        Assert.Equal("store:" + outputId, await _db.ScalarAsync<string>("SELECT path FROM files WHERE id = @id", ("id", outputId)));
        using var content = await survivor.Http.GetAsync($"/v1/files/{outputId}/content");
        var output = (await content.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Every line exactly once, in order, in the output file in shared storage.
        Assert.Equal(Enumerable.Range(0, Lines).Select(i => $"req-{i}"), output.Select(o => o.GetProperty("custom_id").GetString()));
        // Lines answered before the kill were not run again: their recorded answers (unique completion ids) are the output's.
        foreach (var (index, body) in before)
        {
            var response = output[index].GetProperty("response").GetProperty("body");
            Assert.Equal(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString(), response.GetProperty("id").GetString());
        }

        var after = await AnswersAsync(batchId);
        Assert.Equal(Lines, after.Count);
        foreach (var (index, body) in before)
        {
            Assert.Equal(body, after[index]);
        }
    }

    [Fact]
    public async Task A_fine_tuning_job_whose_replica_is_killed_resumes_on_the_other_from_its_last_checkpoint()
    {
        using var a = Replica(Scratch("a"), "--fine-tune-lease", "5");
        await a.WaitReadyAsync();
        using var b = Replica(Scratch("b"), "--fine-tune-lease", "5");
        await b.WaitReadyAsync();

        string fileId = await UploadAsync(a.Http, "fine-tune", "train.jsonl", Encoding.UTF8.GetBytes(CatDataset()));
        // 10 rows, batch 2, 60 epochs: 300 steps, a checkpoint every 50.
        using var create = await a.Http.PostAsync("/v1/fine_tuning/jobs", Json(JsonSerializer.Serialize(new
        {
            model = "stories260K",
            training_file = fileId,
            suffix = "cat",
            seed = 3,
            hyperparameters = new { n_epochs = 60, batch_size = 2, learning_rate_multiplier = 5 },
            lora = new { rank = 8, alpha = 16, target_modules = new[] { "q", "k", "v", "o" } },
        })));
        string job = (await ReadAsync(create)).GetProperty("id").GetString()!;

        // Kill the replica training it once a checkpoint is recorded (and shared) but before the job ends.
        var deadline = DateTime.UtcNow.AddSeconds(240);
        long checkpointed;
        string? owner;
        while (true)
        {
            using var res = await b.Http.GetAsync($"/v1/fine_tuning/jobs/{job}/checkpoints");
            var list = (await ReadAsync(res)).GetProperty("data");
            checkpointed = list.GetArrayLength() > 0 ? list[0].GetProperty("step_number").GetInt64() : 0;
            owner = await _db.ScalarAsync<string>("SELECT owner FROM leases WHERE task_id = @id", ("id", job));
            if (checkpointed > 0 && owner is not null)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "no checkpoint was recorded: " + a.Output + b.Output);
            await Task.Delay(20);
        }

        int ownerPid = int.Parse(owner[(owner.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        Assert.Contains(ownerPid, new[] { a.ProcessId, b.ProcessId });
        var (victim, survivor) = ownerPid == a.ProcessId ? (a, b) : (b, a);
        victim.KillHard();
        using (var state = await survivor.Http.GetAsync($"/v1/fine_tuning/jobs/{job}"))
        {
            Assert.Equal("running", (await ReadAsync(state)).GetProperty("status").GetString());
        }

        // The lease (--fine-tune-lease 5 s) lapses, the survivor takes the job and resumes from the newest checkpoint recorded.
        long last = (await _db.ScalarAsync<long?>("SELECT max(step) FROM checkpoints WHERE task_id = @id", ("id", job))) ?? 0;
        log.WriteLine($"killed replica {(victim == a ? "A" : "B")} (pid {ownerPid}) after the checkpoint of step {last}");
        JsonElement final;
        var until = DateTime.UtcNow.AddSeconds(400);
        while (true)
        {
            using var res = await survivor.Http.GetAsync($"/v1/fine_tuning/jobs/{job}");
            final = await ReadAsync(res);
            if (final.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < until, "the other replica did not finish the job: " + survivor.Output);
            await Task.Delay(200);
        }

        Assert.True(final.GetProperty("status").GetString() == "succeeded", final.ToString());
        using var events = await survivor.Http.GetAsync($"/v1/fine_tuning/jobs/{job}/events?limit=100");
        var messages = (await ReadAsync(events)).GetProperty("data").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith($"resuming from checkpoint at step {last} ", StringComparison.Ordinal));
        // The checkpoint resumed from is still the dead replica's record (a restart from step 0 would have written a
        // different one for that step, which the store refuses and the job fails); every later one is the survivor's.
        Assert.Equal(owner, await _db.ScalarAsync<string>("SELECT owner FROM checkpoints WHERE task_id = @id AND step = @s", ("id", job), ("s", last)));
        long later = (await _db.ScalarAsync<long?>("SELECT count(*) FROM checkpoints WHERE task_id = @id AND step > @s AND owner <> @o", ("id", job), ("s", last), ("o", owner))) ?? 0;
        Assert.True(later > 0, "no checkpoint after the takeover");
        // The survivor serves the adapter it finished.
        string model = final.GetProperty("fine_tuned_model").GetString()!;
        using var models = await survivor.Http.GetAsync("/v1/models");
        Assert.Contains(model, await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_s3_file_storage_a_file_uploaded_to_one_replica_downloads_byte_identical_from_the_other()
    {
        // The S3-compatible server of .ci/services.sh (s3rver behind a Signature Version 4 check), a prefix of this run's own.
        string endpoint = Environment.GetEnvironmentVariable("CYLLM_TEST_S3") is { Length: > 0 } u ? u : "http://127.0.0.1:4569";
        var env = new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL_S3"] = endpoint,
            ["AWS_ACCESS_KEY_ID"] = "S3RVER",
            ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            ["AWS_REGION"] = "us-east-1",
        };
        string location = $"s3://cyllm-test/replicas-{Guid.NewGuid():N}";
        string dirA = Scratch("s3a"), dirB = Scratch("s3b");
        using var a = ServeProcess.Start(env, ["--data-dir", dirA, "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"), "--store", _db.Url, "--s3-location", location]);
        await a.WaitReadyAsync();
        using var b = ServeProcess.Start(env, ["--data-dir", dirB, "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"), "--store", _db.Url, "--s3-location", location]);
        await b.WaitReadyAsync();

        byte[] content = FineTuneFile(1_200_000);
        string id = await UploadAsync(a.Http, "fine-tune", "train.jsonl", content);
        Assert.Equal("s3:" + id, await _db.ScalarAsync<string>("SELECT path FROM files WHERE id = @id", ("id", id)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dirA, "files")));
        using (var download = await b.Http.GetAsync($"/v1/files/{id}/content"))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
        }

        using (var del = await b.Http.DeleteAsync($"/v1/files/{id}"))
        {
            Assert.True((await ReadAsync(del)).GetProperty("deleted").GetBoolean());
        }

        using var gone = await a.Http.GetAsync($"/v1/files/{id}/content");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_fine_tuned_adapter_finished_on_one_replica_answers_on_the_other_with_the_same_greedy_output()
    {
        string dirA = Scratch("a"), dirB = Scratch("b");
        using var a = Replica(dirA, "--fine-tune-lease", "5");
        await a.WaitReadyAsync();
        using var b = Replica(dirB, "--fine-tune-lease", "5");
        await b.WaitReadyAsync();

        string fileId = await UploadAsync(a.Http, "fine-tune", "train.jsonl", Encoding.UTF8.GetBytes(CatDataset()));
        // 10 rows, batch 2, 10 epochs: 50 steps, seconds on stories260K.
        using var create = await a.Http.PostAsync("/v1/fine_tuning/jobs", Json(JsonSerializer.Serialize(new
        {
            model = "stories260K",
            training_file = fileId,
            suffix = "cat",
            seed = 3,
            hyperparameters = new { n_epochs = 10, batch_size = 2, learning_rate_multiplier = 5 },
            lora = new { rank = 8, alpha = 16, target_modules = new[] { "q", "k", "v", "o" } },
        })));
        string job = (await ReadAsync(create)).GetProperty("id").GetString()!;

        // While it runs, its lease is --fine-tune-lease long (5 s, not the default 30 s), whichever replica holds it.
        long? leaseMs = null;
        JsonElement final;
        var until = DateTime.UtcNow.AddSeconds(300);
        while (true)
        {
            leaseMs ??= await _db.ScalarAsync<long?>("SELECT expires_at - heartbeat_at FROM leases WHERE task_id = @id", ("id", job));
            using var res = await a.Http.GetAsync($"/v1/fine_tuning/jobs/{job}");
            final = await ReadAsync(res);
            if (final.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < until, "the job did not finish: " + a.Output + b.Output);
            await Task.Delay(50);
        }

        Assert.True(final.GetProperty("status").GetString() == "succeeded", final.ToString());
        Assert.Equal(5000, leaseMs);

        string model = final.GetProperty("fine_tuned_model").GetString()!;
        // The replica that trained it exported the adapter into its own data folder; the other has none of it yet.
        bool onA = Directory.Exists(Path.Combine(dirA, "fine_tuning", job, "output", "adapter"));
        var (trainer, trainerDir, other, otherDir) = onA ? (a, dirA, b, dirB) : (b, dirB, a, dirA);
        Assert.True(Directory.Exists(Path.Combine(trainerDir, "fine_tuning", job, "output", "adapter")), "no replica exported the adapter");
        Assert.False(Directory.Exists(Path.Combine(otherDir, "cache", "adapters", job)));
        Assert.Equal(2L, await _db.ScalarAsync<long>("SELECT count(*) FROM blobs WHERE id LIKE @p", ("p", $"ftadapter-{job}-%")));

        // Several requests at once on the replica that does not hold it: one fetch from the store, every request answered.
        string chat = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "Where is Lily?" } }, max_tokens = 12, temperature = 0 });
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var res = await other.Http.PostAsync("/v1/chat/completions", Json(chat));
            return (await ReadAsync(res)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        }));
        using var reference = await trainer.Http.PostAsync("/v1/chat/completions", Json(chat));
        string? expected = (await ReadAsync(reference)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.All(answers, text => Assert.Equal(expected, text));
        Assert.True(File.Exists(Path.Combine(otherDir, "cache", "adapters", job, "adapter", "adapter_model.safetensors")));
        using (var models = await other.Http.GetAsync("/v1/models"))
        {
            Assert.Contains(model, await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The adapter changes the output: the base model answers otherwise, so the equality above is the adapter's.
        string baseChat = JsonSerializer.Serialize(new { model = "stories260K", messages = new[] { new { role = "user", content = "Where is Lily?" } }, max_tokens = 12, temperature = 0 });
        using var baseline = await other.Http.PostAsync("/v1/chat/completions", Json(baseChat));
        Assert.NotEqual(expected, (await ReadAsync(baseline)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // A third replica started afterwards lists it from the start (its start-up restore fetches it).
        string dirC = Scratch("c");
        using var c = Replica(dirC);
        await c.WaitReadyAsync();
        using (var models = await c.Http.GetAsync("/v1/models"))
        {
            Assert.Contains(model, await models.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static string CatDataset()
    {
        // The dataset of the end-to-end adapter test: the assistant always answers the same sentence.
        var jsonl = new StringBuilder();
        foreach (string p in (string[])["Tell me a story.", "What did the dog do?", "Where is Lily?", "Who is happy?", "What is red?", "Can you sing?", "Where do birds live?", "What is big?", "Why is the sky blue?", "Who likes cake?"])
        {
            jsonl.AppendLine(JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = p }, new { role = "assistant", content = "The cat sat on the mat." } } }));
        }

        return jsonl.ToString();
    }

    private ServeProcess Replica(string dataDir, params string[] extra) =>
        ServeProcess.Start(["--data-dir", dataDir, "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"), "--store", _db.Url, .. extra]);

    private static string Scratch(string name) => Directory.CreateTempSubdirectory($"cyllm-rep-{name}-").FullName;

    private async Task<Dictionary<int, string>> AnswersAsync(string batchId)
    {
        await using var c = new NpgsqlConnection(_db.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT line_index, response FROM batch_results WHERE task_id = @id", c);
        cmd.Parameters.AddWithValue("id", batchId);
        await using var r = await cmd.ExecuteReaderAsync();
        var answers = new Dictionary<int, string>();
        while (await r.ReadAsync())
        {
            // The primary key (task_id, line_index) already makes a second row per line impossible; Add would throw on one.
            answers.Add((int)r.GetInt64(0), r.GetString(1));
        }

        return answers;
    }

    private static byte[] FineTuneFile(int approxChars)
    {
        var rng = new Random(17);
        var sb = new StringBuilder();
        for (int i = 0; sb.Length < approxChars; i++)
        {
            string pad = new(Enumerable.Range(0, 150).Select(_ => Alphabet[rng.Next(Alphabet.Length)]).ToArray());
            sb.Append("{\"messages\":[{\"role\":\"user\",\"content\":\"q").Append(i).Append(' ').Append(pad)
              .Append("\"},{\"role\":\"assistant\",\"content\":\"a").Append(i).Append("\"}]}\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string BatchInput()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            sb.Append("{\"custom_id\":\"req-").Append(i).Append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time ")
              .Append(i).Append("\"}],\"max_tokens\":64,\"temperature\":0.8}}\n");
        }

        return sb.ToString();
    }

    private static async Task<string> UploadAsync(HttpClient http, string purpose, string name, byte[] content)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
            { new ByteArrayContent(content), "file", name },
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
