using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>The prefix cache never crosses tenants: every request carries its tenant's cache salt, so a tenant gets
/// cache hits (usage.prompt_tokens_details.cached_tokens, and the time saved) only on prompts its own tenant sent.</summary>
public sealed class PrefixCacheIsolationTests
{
    /// <summary>A ~290-token prompt as token ids (well past one 16-token cache block, inside stories260K's context).</summary>
    private static readonly int[] Prompt = [1, .. Enumerable.Range(0, 289).Select(i => 10 + ((i * 37) % 400))];

    private static async Task<int> CachedTokensAsync(AuthServer s, IssuedApiKey key, string path = "/v1/completions")
    {
        string body = path == "/v1/completions"
            ? JsonSerializer.Serialize(new { prompt = Prompt, max_tokens = 2, temperature = 0 })
            : JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = string.Join(' ', Enumerable.Repeat("Once upon a time there was a cat.", 30)) } }, max_tokens = 2, temperature = 0 });
        using var r = await s.SendAsync(HttpMethod.Post, path, key.Secret, body);
        string text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task A_tenant_never_hits_another_tenants_cached_prefix(string path)
    {
        await using var s = await AuthServer.StartAsync(o => o with { BackendFactory = null, ModelPath = RepoPaths.StoriesModel, Threads = 2 });
        await s.Server.App.State.Model.Loading;
        var bob = await s.IssueAsync("bob");
        var bobAgain = await s.IssueAsync("bob", [AuthScopes.Inference]);
        var alice = await s.IssueAsync("alice");

        Assert.Equal(0, await CachedTokensAsync(s, bob, path));
        Assert.Equal(0, await CachedTokensAsync(s, alice, path));
        // Within a tenant the cache still works, across its keys too.
        Assert.True(await CachedTokensAsync(s, alice, path) >= 256);
        Assert.True(await CachedTokensAsync(s, bobAgain, path) >= 256);
    }

    [Fact]
    public async Task Chat_completions_and_batch_lines_carry_their_tenants_salt()
    {
        var backend = new FakeBackend();
        await using var s = await LiveServer.StartFakeAsync(backend);
        var salts = s.App.State.CacheSalts;
        Assert.NotEqual(salts.For("acme"), salts.For("default"));

        using (var r = await s.PostJsonAsync("/v1/completions", """{"prompt":"ab","max_tokens":2}"""))
        {
            Assert.True(r.IsSuccessStatusCode);
        }

        Assert.Equal(salts.For("default"), backend.LastRequest!.CacheSalt);
        using (var r = await s.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"ab"}],"max_tokens":2}"""))
        {
            Assert.True(r.IsSuccessStatusCode);
        }

        Assert.Equal(salts.For("default"), backend.LastRequest!.CacheSalt);

        // A batch line runs as the batch's tenant, through the same handlers.
        var executor = new CyLlm.Gateway.Hosting.InProcessBatchExecutor(s.App.App.Services, CyLlm.Gateway.Hosting.InProcessBatchExecutor.ForBatch("acme", null, null, null));
        var line = await executor.ExecuteAsync(new CyLlm.Jobs.Batches.BatchRequestLine(0, "a", "POST", "/v1/completions", """{"model":"fake","prompt":"ab","max_tokens":2}"""), CancellationToken.None);
        Assert.Equal(200, line.StatusCode);
        Assert.Equal(salts.For("acme"), backend.LastRequest!.CacheSalt);
    }

    [Fact]
    public void The_salt_key_survives_a_restart_and_differs_between_servers()
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-gw-salt-").FullName;
        string other = Directory.CreateTempSubdirectory("cyllm-gw-salt-").FullName;
        try
        {
            long first = CyLlm.Gateway.State.TenantCacheSalts.Open(dir).For("acme");
            Assert.Equal(first, CyLlm.Gateway.State.TenantCacheSalts.Open(dir).For("acme"));
            Assert.NotEqual(first, CyLlm.Gateway.State.TenantCacheSalts.Open(other).For("acme"));
            Assert.NotEqual(first, CyLlm.Gateway.State.TenantCacheSalts.Open(dir).For("acme2"));
            string key = Path.Combine(dir, CyLlm.Gateway.State.TenantCacheSalts.FileName);
            Assert.Equal(32, new FileInfo(key).Length);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task The_router_sends_the_tenants_salt_to_prefill_and_decode_workers()
    {
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // The router does not wait for the prefill call once decoding is done: count arrivals instead of assuming both.
        using var arrived = new SemaphoreSlim(0);
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Capture(string body)
        {
            bodies.Enqueue(body);
            arrived.Release();
            if (bodies.Count >= 2)
            {
                both.TrySetResult();
            }
        }

        await using var worker = await CyLlm.Gateway.Tests.Disaggregation.StubWorker.StartAsync(
            async ctx =>
            {
                Capture(await new StreamReader(ctx.Request.Body).ReadToEndAsync(ctx.RequestAborted));
                // Answer only once both calls are in (or after 10 s): a decode answer that came first let the router
                // finish and drop its not-yet-sent prefill call on a loaded machine, and the test then waited in vain.
                await Task.WhenAny(both.Task, Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted));

                await CyLlm.Gateway.Tests.Disaggregation.StubWorker.LineAsync(ctx, """{"finish_reason":"length","token_ids":[10],"text":"x","prompt_tokens":3,"completion_tokens":1,"cached_tokens":0}""");
            },
            Capture);
        await using var cluster = await CyLlm.Gateway.Tests.Disaggregation.RouterCluster.StartAsync(prefillUrl: worker.BaseUrl, decodeUrl: worker.BaseUrl);
        using var r = await cluster.Router.PostJsonAsync("/v1/completions", """{"prompt":"Once upon a time","max_tokens":1}""");
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        long expected = cluster.Router.App.State.CacheSalts.For("default");
        Assert.NotEqual(0, expected);
        Assert.True(await arrived.WaitAsync(TimeSpan.FromSeconds(30)) && await arrived.WaitAsync(TimeSpan.FromSeconds(30)), "the prefill and decode workers were not both called");
        Assert.Equal(2, bodies.Count);
        Assert.All(bodies, b => Assert.Equal(expected, JsonDocument.Parse(b).RootElement.GetProperty("cache_salt").GetInt64()));
    }
}
