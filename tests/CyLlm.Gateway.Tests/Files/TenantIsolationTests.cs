using System.Net;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>Files, batches and tasks belong to the caller's tenant: another tenant sees 404 and empty lists.</summary>
public sealed class TenantIsolationTests
{
    [Fact]
    public async Task Another_tenants_files_batches_and_tasks_read_as_absent()
    {
        await using var s = await AuthServer.StartAsync(o => o with { RunBatchWorker = false });
        var alice = (await s.IssueAsync("alice")).Secret;
        var bob = (await s.IssueAsync("bob")).Secret;
        var http = s.Server.Http;
        string fileId = (await DurableApi.UploadAsync(http, DurableApi.ChatLines(1), apiKey: alice)).GetProperty("id").GetString()!;
        string batchId = (await DurableApi.CreateBatchAsync(http, fileId, apiKey: alice)).GetProperty("id").GetString()!;

        foreach (string path in new[] { $"/v1/files/{fileId}", $"/v1/files/{fileId}/content", $"/v1/batches/{batchId}", $"/v1/tasks/{batchId}" })
        {
            await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, path, bob), 404, "not_found");
            Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, path, alice)).StatusCode);
        }

        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Delete, $"/v1/files/{fileId}", bob), 404, "not_found");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, $"/v1/batches/{batchId}/cancel", bob), 404, "not_found");
        await ErrorAssert.IsAsync(await http.SendAsync(DurableApi.CreateBatchRequest(fileId, apiKey: bob)), 404, "not_found", "input_file_id");
        foreach (string list in new[] { "/v1/files", "/v1/batches", "/v1/tasks" })
        {
            Assert.Equal(0, (await DurableApi.GetJsonAsync(http, list, bob)).GetProperty("data").GetArrayLength());
            Assert.Equal(1, (await DurableApi.GetJsonAsync(http, list, alice)).GetProperty("data").GetArrayLength());
        }
    }

    [Fact]
    public async Task Health_details_need_the_admin_scope()
    {
        await using var s = await AuthServer.StartAsync();
        var inference = (await s.IssueAsync()).Secret;
        var admin = (await s.IssueAsync(scopes: [AuthScopes.Admin])).Secret;
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/health/details", inference), 403, "insufficient_scope");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Get, "/health/details", null), 401, "invalid_api_key");
        Assert.Equal(HttpStatusCode.OK, (await s.SendAsync(HttpMethod.Get, "/health/details", admin)).StatusCode);
    }
}
