using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CyLlm.Gateway;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm keys` and `cyllm tenants` on the database of a running gateway: keys print once on stdout, listings
/// never show keys or hashes, and the server accepts, rotates and drops keys without a restart.</summary>
public sealed class KeysCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-keys-").FullName;
    private GatewayApp _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // No model needed: the admin routes answer without one. TTL 0 makes CLI changes visible to the next request.
        _app = GatewayApp.Build(new GatewayOptions
        {
            BackendFactory = () => throw new InvalidOperationException("no model in this test"),
            DataDirectory = _dir,
            Port = 0,
            AuthCacheTtl = TimeSpan.Zero,
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.None,
        });
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<HttpStatusCode> AdminListAsync(string key)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/keys");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (await _http.SendAsync(req)).StatusCode;
    }

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static string OnlyKey(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Matches("^sk-cy-[A-Za-z0-9_-]{54}$", lines[0].TrimEnd('\r'));
        return lines[0].TrimEnd('\r');
    }

    [Fact]
    public async Task Create_list_rotate_and_revoke_work_against_a_running_server()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await AdminListAsync("sk-cy-nothing"));

        var create = CliProcess.Run("keys", "create", "--data-dir", _dir, "--tenant", "acme", "--scope", "admin", "--scope", "inference", "--model", "m1", "--model", "m2", "--expires-in", "30d");
        Assert.True(create.ExitCode == 0, create.StdErr);
        string key = OnlyKey(create.StdOut);
        Assert.DoesNotContain(key, create.StdErr);
        Assert.Contains(key[..14], create.StdErr);
        Assert.Equal(HttpStatusCode.OK, await AdminListAsync(key));

        var list = CliProcess.Run("keys", "list", "--data-dir", _dir);
        Assert.True(list.ExitCode == 0, list.StdErr);
        foreach (string column in new[] { "ID", "PREFIX", "TENANT", "SCOPES", "MODELS", "CREATED", "EXPIRES", "STATUS" })
        {
            Assert.Contains(column, list.StdOut);
        }

        Assert.Contains(key[..14], list.StdOut);
        Assert.Contains("admin,inference", list.StdOut);
        Assert.Contains("m1,m2", list.StdOut);
        Assert.Contains("active", list.StdOut);
        Assert.DoesNotContain(key, list.StdOut + list.StdErr);
        Assert.DoesNotContain(key[14..], list.StdOut + list.StdErr);
        Assert.DoesNotContain(Sha(key), list.StdOut + list.StdErr);
        string id = list.StdOut.Split('\n')[1].Split(' ')[0];
        Assert.StartsWith("key_", id);

        var rotate = CliProcess.Run("keys", "rotate", id, "--data-dir", _dir, "--grace", "0");
        Assert.True(rotate.ExitCode == 0, rotate.StdErr);
        string fresh = OnlyKey(rotate.StdOut);
        Assert.NotEqual(key, fresh);
        Assert.Equal(HttpStatusCode.OK, await AdminListAsync(fresh));
        Assert.Equal(HttpStatusCode.Unauthorized, await AdminListAsync(key));

        string freshId = CliProcess.Run("keys", "list", "--data-dir", _dir, "--tenant", "acme").StdOut.Split('\n')
            .Single(l => l.Contains(fresh[..14], StringComparison.Ordinal)).Split(' ')[0];
        var revoke = CliProcess.Run("keys", "revoke", freshId, "--data-dir", _dir);
        Assert.True(revoke.ExitCode == 0, revoke.StdErr);
        Assert.Equal("", revoke.StdOut);
        Assert.Equal(HttpStatusCode.Unauthorized, await AdminListAsync(fresh));
        Assert.Contains("revoked", CliProcess.Run("keys", "list", "--data-dir", _dir).StdOut);
    }

    [Fact]
    public void Bad_input_gets_one_error_line_and_tenants_are_listed()
    {
        var badScope = CliProcess.Run("keys", "create", "--data-dir", _dir, "--scope", "root");
        Assert.Equal(2, badScope.ExitCode);
        Assert.Equal("", badScope.StdOut);
        Assert.StartsWith("error: unknown scope 'root'", badScope.StdErr);
        Assert.Single(badScope.StdErr.Trim().Split('\n'));

        var badExpiry = CliProcess.Run("keys", "create", "--data-dir", _dir, "--expires-in", "soon");
        Assert.Equal(2, badExpiry.ExitCode);
        Assert.Contains("--expires-in", badExpiry.StdErr);

        var badTenant = CliProcess.Run("keys", "create", "--data-dir", _dir, "--tenant", "Bad Tenant!");
        Assert.Equal(2, badTenant.ExitCode);

        var missing = CliProcess.Run("keys", "revoke", "key_0000000000000000", "--data-dir", _dir);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("cyllm keys list", missing.StdErr);

        Assert.Equal(0, CliProcess.Run("tenants", "create", "acme", "--name", "Acme Corp", "--data-dir", _dir).ExitCode);
        Assert.Equal(0, CliProcess.Run("tenants", "disable", "acme", "--data-dir", _dir).ExitCode);
        var tenants = CliProcess.Run("tenants", "list", "--data-dir", _dir);
        Assert.Equal(0, tenants.ExitCode);
        Assert.Contains("Acme Corp", tenants.StdOut);
        Assert.Contains("disabled", tenants.StdOut);
    }

    [Fact]
    public void Create_with_a_name_shows_it_in_the_list_and_bad_names_get_one_error_line()
    {
        var named = CliProcess.Run("keys", "create", "--data-dir", _dir, "--tenant", "acme", "--name", "  nightly eval job  ");
        Assert.True(named.ExitCode == 0, named.StdErr);
        string key = OnlyKey(named.StdOut);
        Assert.Contains("\"nightly eval job\"", named.StdErr);
        var plain = CliProcess.Run("keys", "create", "--data-dir", _dir, "--tenant", "acme");
        Assert.True(plain.ExitCode == 0, plain.StdErr);

        var list = CliProcess.Run("keys", "list", "--data-dir", _dir, "--tenant", "acme");
        Assert.True(list.ExitCode == 0, list.StdErr);
        var lines = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0]);
        Assert.Contains("NAME", lines[0]);
        string namedRow = lines.Single(l => l.Contains(key[..14], StringComparison.Ordinal));
        Assert.Contains("nightly eval job", namedRow);
        string plainRow = lines.Single(l => l.StartsWith("key_", StringComparison.Ordinal) && !l.Contains(key[..14], StringComparison.Ordinal));
        Assert.Equal("-", plainRow.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

        var tooLong = CliProcess.Run("keys", "create", "--data-dir", _dir, "--name", new string('n', 129));
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Equal("", tooLong.StdOut);
        Assert.StartsWith("error: --name:", tooLong.StdErr);
        Assert.Contains("128", tooLong.StdErr);
        Assert.Single(tooLong.StdErr.Trim().Split('\n'));

        var control = CliProcess.Run("keys", "create", "--data-dir", _dir, "--name", "bad\u001bname");
        Assert.Equal(2, control.ExitCode);
        Assert.Equal("", control.StdOut);
        Assert.Contains("control characters", control.StdErr);
        Assert.Single(control.StdErr.Trim().Split('\n'));
        Assert.Equal(2, CliProcess.Run("keys", "list", "--data-dir", _dir, "--tenant", "acme").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
    }
}
