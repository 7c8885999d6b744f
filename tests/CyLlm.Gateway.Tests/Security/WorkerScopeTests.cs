using CyLlm.Gateway.Auth;
using CyLlm.Gateway.RateLimits;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>
/// The disaggregation routes take raw token ids with no model name, so an inference key there would bypass its model
/// allow-list: they need the dedicated worker scope, and a worker key is rate limited like any other key and reaches
/// nothing else.
/// </summary>
public sealed class WorkerScopeTests
{
    private const string Prefill = """{"bootstrap_room":7,"prompt_tokens":[1,2]}""";
    private const string Decode = """{"bootstrap_room":7,"prompt_tokens":[1,2],"max_tokens":2}""";

    [Theory]
    [InlineData("/internal/disaggregation/prefill", Prefill)]
    [InlineData("/internal/disaggregation/decode", Decode)]
    [InlineData("/INTERNAL/Disaggregation/decode/", Decode)]
    public async Task An_inference_or_admin_key_gets_403_and_a_worker_key_passes(string path, string body)
    {
        await using var s = await AuthServer.StartAsync();
        var inference = await s.IssueAsync(scopes: [AuthScopes.Inference]);
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var worker = await s.IssueAsync(scopes: [AuthScopes.Worker]);
        var e = await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, path, inference.Secret, body), 403, "insufficient_scope");
        Assert.Contains("worker", e.GetProperty("message").GetString());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, path, admin.Secret, body), 403, "insufficient_scope");
        // Past authentication: this fake-backend server is no worker, which is what the handler says.
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, path, worker.Secret, body), 404, "not_found");
        // A worker key is for the workers' routes only.
        await ErrorAssert.IsAsync(await s.ChatAsync(worker.Secret), 403, "insufficient_scope");
    }

    [Fact]
    public async Task Worker_routes_count_against_the_worker_keys_request_limit()
    {
        await using var s = await AuthServer.StartAsync(o => o with
        {
            RateLimits = new RateLimitOptions { PerKey = new() { RequestsPerMinute = 2 } },
        });
        var worker = await s.IssueAsync(scopes: [AuthScopes.Worker]);
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/internal/disaggregation/prefill", worker.Secret, Prefill), 404, "not_found");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/internal/disaggregation/decode", worker.Secret, Decode), 404, "not_found");
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/internal/disaggregation/decode", worker.Secret, Decode), 429, "rate_limit_exceeded");
    }
}
