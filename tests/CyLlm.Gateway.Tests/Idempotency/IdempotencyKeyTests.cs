using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Idempotency;

/// <summary>Idempotency-Key on creating POSTs: replay, conflict, in progress, per tenant, expiry, and concurrency.</summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public async Task The_same_key_and_body_replays_the_stored_response_and_creates_one_batch()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        using var first = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "key-1"));
        using var second = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "key-1"));
        string body1 = await first.Content.ReadAsStringAsync(), body2 = await second.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(body1, body2);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);

        // Without a key, or with another key, the same body creates another batch.
        using var third = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "key-2"));
        Assert.NotEqual(body1, await third.Content.ReadAsStringAsync());
        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/batches");
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422_conflict()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "k"))).StatusCode);
        var e = await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, "/v1/completions", idempotencyKey: "k")), 422, "idempotency_key_conflict", "Idempotency-Key");
        Assert.Contains("different request", e.GetProperty("message").GetString());
        // The key spans routes: a file upload with the same key is a different request too.
        await ErrorAssert.IsAsync(await s.Http.SendAsync(DurableApi.UploadRequest(DurableApi.ChatLines(1), idempotencyKey: "k")), 422, "idempotency_key_conflict");
        Assert.Equal(1, (await DurableApi.GetJsonAsync(s.Http, "/v1/batches")).GetProperty("data").GetArrayLength());
        Assert.Equal(1, (await DurableApi.GetJsonAsync(s.Http, "/v1/files")).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_key_still_in_progress_answers_409_with_retry_after()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        using var probe = DurableApi.CreateBatchRequest(fileId, idempotencyKey: "busy");
        string body = await probe.Content!.ReadAsStringAsync();
        // Another request holds the key (its creation step is running): begin it directly in the store.
        string hash = CyLlm.Jobs.Storage.IdempotentRequest.Hash("POST", "/v1/batches", System.Text.Encoding.UTF8.GetBytes(body));
        var begin = await s.App.State.Store.TryBeginIdempotentAsync("default", "busy", hash, TimeSpan.FromHours(1));
        Assert.Equal(CyLlm.Jobs.Storage.IdempotencyOutcome.New, begin.Outcome);
        using var res = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "busy"));
        Assert.Equal("1", res.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ErrorAssert.IsAsync(res, 409, "idempotency_key_in_progress", "Idempotency-Key");
        Assert.Equal(0, (await DurableApi.GetJsonAsync(s.Http, "/v1/batches")).GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public async Task Malformed_keys_are_refused(string key)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        var req = DurableApi.CreateBatchRequest("file-x");
        req.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        await ErrorAssert.IsAsync(await s.Http.SendAsync(req), 400, "invalid_request_error", "Idempotency-Key");
        var tooLong = DurableApi.CreateBatchRequest("file-x", idempotencyKey: new string('k', 256));
        await ErrorAssert.IsAsync(await s.Http.SendAsync(tooLong), 400, "invalid_request_error", "Idempotency-Key");
    }

    [Fact]
    public async Task Fifty_concurrent_batch_posts_with_one_key_create_exactly_one_batch()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var res = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "same-key"));
            return (res.StatusCode, Body: await res.Content.ReadAsStringAsync());
        }));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.NotEmpty(created);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{r.StatusCode}: {r.Body}"));
        Assert.Single(created.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()).Distinct());
        Assert.Equal(1, (await DurableApi.GetJsonAsync(s.Http, "/v1/batches")).GetProperty("data").GetArrayLength());
        Assert.Single(await s.App.State.Store.ListTasksAsync("default", CyLlm.Jobs.TaskKind.Batch, 100));
    }

    [Fact]
    public async Task Fifty_concurrent_uploads_with_one_key_create_exactly_one_file()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false });
        string content = DurableApi.ChatLines(20);
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var res = await s.Http.SendAsync(DurableApi.UploadRequest(content, idempotencyKey: "upload-key"));
            return (res.StatusCode, Body: await res.Content.ReadAsStringAsync());
        }));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{r.StatusCode}: {r.Body}"));
        var ids = responses.Where(r => r.StatusCode == HttpStatusCode.OK).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()).Distinct().ToList();
        Assert.Single(ids);
        var files = await DurableApi.GetJsonAsync(s.Http, "/v1/files");
        Assert.Equal(ids, files.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList());
        // Duplicate bytes of the losing requests are removed: only the one file and its marker remain.
        Assert.Equal(2, Directory.GetFiles(s.App.State.StoreHost.FilesDirectory).Length);
    }

    [Fact]
    public async Task Keys_expire_after_the_configured_ttl()
    {
        var time = new ManualTime();
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { RunBatchWorker = false, Time = time, IdempotencyKeyTtl = TimeSpan.FromHours(1) });
        string fileId = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        var a = await DurableApi.OkJsonAsync(await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "ttl")));
        time.Advance(TimeSpan.FromMinutes(59));
        using var replay = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "ttl"));
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        time.Advance(TimeSpan.FromMinutes(2));
        using var fresh = await s.Http.SendAsync(DurableApi.CreateBatchRequest(fileId, idempotencyKey: "ttl"));
        var b = await DurableApi.OkJsonAsync(fresh);
        Assert.False(fresh.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(a.GetProperty("id").GetString(), b.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Keys_are_per_tenant()
    {
        await using var s = await AuthServer.StartAsync(o => o with { RunBatchWorker = false });
        var alice = await s.IssueAsync("alice");
        var bob = await s.IssueAsync("bob");
        string aliceFile = (await DurableApi.UploadAsync(s.Server.Http, DurableApi.ChatLines(1), apiKey: alice.Secret)).GetProperty("id").GetString()!;
        string bobFile = (await DurableApi.UploadAsync(s.Server.Http, DurableApi.ChatLines(1), apiKey: bob.Secret)).GetProperty("id").GetString()!;
        using var ra = await s.Server.Http.SendAsync(DurableApi.CreateBatchRequest(aliceFile, idempotencyKey: "shared", apiKey: alice.Secret));
        using var rb = await s.Server.Http.SendAsync(DurableApi.CreateBatchRequest(bobFile, idempotencyKey: "shared", apiKey: bob.Secret));
        Assert.Equal(HttpStatusCode.OK, ra.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rb.StatusCode);
        Assert.False(rb.Headers.Contains("Idempotent-Replayed"));
    }
}
