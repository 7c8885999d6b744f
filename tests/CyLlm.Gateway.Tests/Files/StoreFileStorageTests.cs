using System.Security.Cryptography;
using System.Text;
using CyLlm.Gateway.Tests.Infrastructure;
using CyLlm.Jobs.Blobs;
using Microsoft.Data.Sqlite;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>
/// <c>--file-storage store</c> on SQLite (the same code as on PostgreSQL): uploads, batch outputs and downloads go
/// through the store's chunks, nothing stays in the data folder's <c>files/</c>, and a damaged chunk is a typed error.
/// </summary>
public sealed class StoreFileStorageTests
{
    [Fact]
    public async Task Uploads_and_batch_outputs_live_in_the_store_and_read_back_verified()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { FileStorage = FileStorageKind.Store });
        Assert.Equal(FileStorageKind.Store, s.App.State.StoreHost.Contents.Kind);
        string content = DurableApi.ChatLines(4);
        string id = (await DurableApi.UploadAsync(s.Http, content)).GetProperty("id").GetString()!;
        var record = await s.App.State.Store.GetFileAsync("default", id);
        Assert.Equal(FileContents.StorePrefix + id, record!.Path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), record.Sha256);
        Assert.Empty(Directory.EnumerateFiles(s.App.State.StoreHost.FilesDirectory, "*", SearchOption.AllDirectories));
        Assert.Equal(content, await DurableApi.ContentAsync(s.Http, id));

        // The batch reads its input from the store and writes its output there.
        var batch = await DurableApi.CreateBatchAsync(s.Http, id);
        var done = await DurableApi.WaitTerminalAsync(s.Http, batch.GetProperty("id").GetString()!);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        string outputId = done.GetProperty("output_file_id").GetString()!;
        Assert.Equal(FileContents.StorePrefix + outputId, (await s.App.State.Store.GetFileAsync("default", outputId))!.Path);
        Assert.Equal(4, (await DurableApi.ContentAsync(s.Http, outputId)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Empty(Directory.EnumerateFiles(s.App.State.StoreHost.FilesDirectory, "*", SearchOption.AllDirectories));

        using var del = await s.Http.DeleteAsync($"/v1/files/{id}");
        Assert.True((await DurableApi.OkJsonAsync(del)).GetProperty("deleted").GetBoolean());
        Assert.Null(await ((IBlobStore)s.App.State.StoreHost.Store).GetBlobInfoAsync(id));
        await ErrorAssert.IsAsync(await s.Http.GetAsync($"/v1/files/{id}/content"), 404, "not_found");
    }

    [Fact]
    public async Task A_damaged_stored_file_is_a_503_error_object_not_a_500()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { FileStorage = FileStorageKind.Store });
        string id = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(2))).GetProperty("id").GetString()!;
        await using (var c = new SqliteConnection($"Data Source={Path.Combine(s.App.State.StoreHost.DataDirectory, "cyllm.db")};Pooling=False"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE blob_chunks SET data = zeroblob(length(data)) WHERE blob_id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        // The file is smaller than one read, so the hash is checked before the first byte goes out.
        var e = await ErrorAssert.IsAsync(await s.Http.GetAsync($"/v1/files/{id}/content"), 503, "server_error");
        Assert.Contains("damaged", e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_fine_tune_reads_a_store_held_training_file_through_a_verified_local_copy()
    {
        var exec = new CyLlm.Gateway.Tests.FineTuning.ScriptedExecutor();
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend(), o => o with { FileStorage = FileStorageKind.Store, FineTuneExecutorFactory = _ => exec });
        string content = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
        string id = (await DurableApi.UploadAsync(s.Http, content, purpose: "fine-tune")).GetProperty("id").GetString()!;
        using var create = await s.PostJsonAsync("/v1/fine_tuning/jobs", $"{{\"model\":\"fake\",\"training_file\":\"{id}\"}}");
        string job = (await DurableApi.OkJsonAsync(create)).GetProperty("id").GetString()!;
        var done = await DurableApi.WaitFineTuneAsync(s.Http, job);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var spec = Assert.Single(exec.Runs);
        Assert.Equal(Path.Combine(s.App.State.StoreHost.FileCacheDirectory, id), spec.TrainingFilePath);
        Assert.Equal(content, await File.ReadAllTextAsync(spec.TrainingFilePath));
    }

    [Fact]
    public async Task Local_storage_stays_the_default_on_sqlite()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        Assert.Equal(FileStorageKind.Local, s.App.State.StoreHost.Contents.Kind);
        string id = (await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1))).GetProperty("id").GetString()!;
        Assert.Equal(Path.Combine(s.App.State.StoreHost.FilesDirectory, id), (await s.App.State.Store.GetFileAsync("default", id))!.Path);
    }
}
