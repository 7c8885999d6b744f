using System.Security.Cryptography;
using System.Text;
using CyLlm.Gateway.Tests.Infrastructure;
using OpenAI.Files;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>POST/GET/DELETE /v1/files: OpenAI shapes, validation of JSONL uploads, the upload size limit.</summary>
public sealed class FileApiTests
{
    [Fact]
    public async Task An_uploaded_batch_file_can_be_listed_read_back_and_deleted()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string content = DurableApi.ChatLines(3);
        var file = await DurableApi.UploadAsync(s.Http, content);
        string id = file.GetProperty("id").GetString()!;
        Assert.StartsWith("file-", id);
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(content), file.GetProperty("bytes").GetInt64());
        Assert.Equal("input.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal("batch", file.GetProperty("purpose").GetString());
        Assert.Equal("processed", file.GetProperty("status").GetString());
        Assert.True(file.GetProperty("created_at").GetInt64() > 1_600_000_000);

        var got = await DurableApi.GetJsonAsync(s.Http, $"/v1/files/{id}");
        Assert.Equal(file.ToString(), got.ToString());
        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/files?purpose=batch");
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal([id], list.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToArray());
        Assert.Equal(content, await DurableApi.ContentAsync(s.Http, id));

        // The bytes are stored with an AtomicFile marker holding their hash.
        var record = await s.App.State.Store.GetFileAsync("default", id);
        Assert.NotNull(record);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), record!.Sha256);
        Assert.Equal(CyLlm.Jobs.Files.AtomicVerifyStatus.Ok, CyLlm.Jobs.Files.AtomicFile.Verify(record.Path).Status);

        using var del = await s.Http.DeleteAsync($"/v1/files/{id}");
        var deleted = await DurableApi.OkJsonAsync(del);
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.False(File.Exists(record.Path));
        await ErrorAssert.IsAsync(await s.Http.GetAsync($"/v1/files/{id}"), 404, "not_found");
        await ErrorAssert.IsAsync(await s.Http.GetAsync($"/v1/files/{id}/content"), 404, "not_found");
    }

    [Fact]
    public async Task A_bad_batch_file_is_refused_naming_the_line_and_leaves_nothing_behind()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string bad = DurableApi.ChatLines(2) + "{\"custom_id\":\"x\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n";
        using var res = await s.Http.SendAsync(DurableApi.UploadRequest(bad));
        var e = await ErrorAssert.IsAsync(res, 400, "invalid_request_error", "file");
        Assert.Contains("line 3", e.GetProperty("message").GetString());
        Assert.Contains("POST", e.GetProperty("message").GetString());

        using var notJson = await s.Http.SendAsync(DurableApi.UploadRequest("{\"custom_id\":\"a\"\nnot json\n"));
        Assert.Contains("line 1", (await ErrorAssert.IsAsync(notJson, 400, "invalid_request_error", "file")).GetProperty("message").GetString());

        using var dup = await s.Http.SendAsync(DurableApi.UploadRequest(DurableApi.ChatLines(1) + DurableApi.ChatLines(1)));
        Assert.Contains("duplicate custom_id", (await ErrorAssert.IsAsync(dup, 400, "invalid_request_error", "file")).GetProperty("message").GetString());

        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/files");
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
        Assert.Empty(Directory.EnumerateFiles(s.App.State.StoreHost.FilesDirectory, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("assistants")]
    [InlineData("")]
    [InlineData("BATCH")]
    public async Task An_unknown_purpose_is_refused(string purpose)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        using var res = await s.Http.SendAsync(DurableApi.UploadRequest(DurableApi.ChatLines(1), purpose));
        var e = await ErrorAssert.IsAsync(res, 400, "invalid_request_error", "purpose");
        Assert.Contains("batch, fine-tune", e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Missing_fields_and_non_multipart_bodies_get_clear_errors()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        using var noFile = await s.Http.PostAsync("/v1/files", new MultipartFormDataContent { { new StringContent("batch"), "purpose" } });
        await ErrorAssert.IsAsync(noFile, 400, "invalid_request_error", "file");
        using var json = await s.PostJsonAsync("/v1/files", "{}");
        Assert.Contains("multipart/form-data", (await ErrorAssert.IsAsync(json, 400, "invalid_request_error")).GetProperty("message").GetString());
        var extra = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new StringContent("1"), "expires_after" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(DurableApi.ChatLines(1))), "file", "a.jsonl" },
        };
        using var unknown = await s.Http.PostAsync("/v1/files", extra);
        await ErrorAssert.IsAsync(unknown, 400, "invalid_request_error", "expires_after");
        using var notJsonl = await s.Http.SendAsync(DurableApi.UploadRequest("x", "fine-tune"));
        await ErrorAssert.IsAsync(notJsonl, 400, "invalid_request_error", "file");
    }

    [Fact]
    public async Task Uploads_have_their_own_size_limit_above_the_json_body_limit()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { MaxBodyBytes = 1024, MaxUploadBytes = 16 << 10 });
        string big = DurableApi.ChatLines(60);
        Assert.InRange(Encoding.UTF8.GetByteCount(big), 4096, 16 << 10);
        var ok = await DurableApi.UploadAsync(s.Http, big);
        Assert.Equal(Encoding.UTF8.GetByteCount(big), ok.GetProperty("bytes").GetInt64());

        string tooBig = DurableApi.ChatLines(300);
        Assert.True(Encoding.UTF8.GetByteCount(tooBig) > 16 << 10);
        using var res = await s.Http.SendAsync(DurableApi.UploadRequest(tooBig));
        await ErrorAssert.IsAsync(res, 413, "request_too_large");
        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/files");
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_and_malformed_ids_are_404()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        foreach (string id in new[] { "file-doesnotexist", "nope", "file-..%2F..%2Fetc", new string('a', 300) })
        {
            await ErrorAssert.IsAsync(await s.Http.GetAsync($"/v1/files/{id}"), 404, "not_found");
            await ErrorAssert.IsAsync(await s.Http.DeleteAsync($"/v1/files/{id}"), 404, "not_found");
        }

        await ErrorAssert.IsAsync(await s.Http.GetAsync("/v1/files?limit=0"), 400, "invalid_request_error", "limit");
    }

    [Fact]
    public async Task The_OpenAI_SDK_uploads_lists_and_downloads_files()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var client = new OpenAIFileClient(new System.ClientModel.ApiKeyCredential("unused"), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(s.BaseUrl + "/v1") });
        string content = DurableApi.ChatLines(2);
        var uploaded = (await client.UploadFileAsync(BinaryData.FromString(content), "sdk.jsonl", FileUploadPurpose.Batch)).Value;
        Assert.Equal("sdk.jsonl", uploaded.Filename);
#pragma warning disable OPENAI001 // SizeInBytesLong is marked experimental; it is the non-obsolete size property.
        Assert.Equal(Encoding.UTF8.GetByteCount(content), uploaded.SizeInBytesLong);
#pragma warning restore OPENAI001
        var files = (await client.GetFilesAsync()).Value;
        Assert.Contains(files, f => f.Id == uploaded.Id);
        Assert.Equal(content, (await client.DownloadFileAsync(uploaded.Id)).Value.ToString());
        Assert.True((await client.DeleteFileAsync(uploaded.Id)).Value.Deleted);
    }
}
