using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>
/// lora_path is not a file-system oracle: a tenant admin loads adapters only from inside Gateway:AdapterDirectory
/// (symbolic links and ".." resolved first), and every other path answers with one identical error; the operator
/// loads from anywhere.
/// </summary>
public sealed class AdapterPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gw-adapter-paths-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Adapters => Path.Combine(_dir, "adapters");

    private async Task<(AuthServer Server, string Peft)> StartAsync(bool withDirectory)
    {
        Directory.CreateDirectory(Adapters);
        var s = await AuthServer.StartAsync(o => o with
        {
            BackendFactory = null,
            ModelPath = RepoPaths.StoriesModel,
            Threads = 2,
            AdapterDirectory = withDirectory ? Adapters : null,
            // Room for every load these tests make: the quota (AdapterQuotaTests) is checked before the path is read.
            MaxAdaptersPerTenant = 4,
        });
        await s.Server.App.State.Model.Loading;
        using var loaded = CyLlm.Models.ModelLoader.Load(RepoPaths.StoriesModel);
        return (s, PeftWriter.Write(Path.Combine(_dir, "outside"), loaded.Config.Layers, loaded.Config.Dim));
    }

    private static Task<HttpResponseMessage> LoadAsync(AuthServer s, string key, string name, string path) =>
        s.SendAsync(HttpMethod.Post, "/v1/load_lora_adapter", key, JsonSerializer.Serialize(new { lora_name = name, lora_path = path }));

    private static async Task<string> RefusalAsync(HttpResponseMessage resp)
    {
        var e = await ErrorAssert.IsAsync(resp, 403, "insufficient_scope", "lora_path");
        return e.ToString();
    }

    [Fact]
    public async Task Paths_outside_the_adapter_directory_all_get_the_same_error()
    {
        var (s, outside) = await StartAsync(withDirectory: true);
        await using var _ = s;
        var admin = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        Directory.CreateSymbolicLink(Path.Combine(Adapters, "link"), outside);
        Directory.CreateDirectory(Path.Combine(Adapters, "sub"));
        Directory.CreateSymbolicLink(Path.Combine(Adapters, "up"), _dir);
        string[] paths =
        [
            "/etc", "/etc/shadow", "/etc/passwd", "/nope", "/nope/deeper", outside, "../outside", Path.Combine(Adapters, "..", "outside"),
            "link", Path.Combine(Adapters, "link"), "sub/../../outside", "up/outside", "up", Adapters, ".", "",
        ];
        var answers = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            answers.Add(await RefusalAsync(await LoadAsync(s, admin.Secret, "probe", path)));
        }

        Assert.Single(answers);
        using var models = await s.SendAsync(HttpMethod.Get, "/v1/models", admin.Secret);
        Assert.DoesNotContain("probe", await models.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_adapter_inside_the_directory_loads_by_absolute_or_relative_path()
    {
        var (s, outside) = await StartAsync(withDirectory: true);
        await using var _ = s;
        var admin = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        Directory.Move(outside, Path.Combine(Adapters, "style"));
        Assert.Equal(HttpStatusCode.OK, (await LoadAsync(s, admin.Secret, "by-path", Path.Combine(Adapters, "style"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoadAsync(s, admin.Secret, "by-name", "style")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.ChatAsync(admin.Secret, "stories260K:by-name")).StatusCode);
        // Inside the directory the loader's own errors still explain what is wrong.
        await ErrorAssert.IsAsync(await LoadAsync(s, admin.Secret, "missing", "missing"), 400, "invalid_request_error", "lora_path");
    }

    [Fact]
    public async Task Without_an_adapter_directory_only_the_operator_loads_by_path()
    {
        var (s, outside) = await StartAsync(withDirectory: false);
        await using var _ = s;
        var admin = await s.IssueAsync("acme", [AuthScopes.Admin, AuthScopes.Inference]);
        var op = await s.IssueAsync(Caller.OperatorTenant, [AuthScopes.Admin]);
        string refused = await RefusalAsync(await LoadAsync(s, admin.Secret, "style", outside));
        Assert.Equal(refused, await RefusalAsync(await LoadAsync(s, admin.Secret, "style", "/nope")));
        Assert.Equal(HttpStatusCode.OK, (await LoadAsync(s, op.Secret, "style", outside)).StatusCode);
    }
}
