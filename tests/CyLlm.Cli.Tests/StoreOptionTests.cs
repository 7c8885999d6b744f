using CyLlm.Cli.Commands;
using Npgsql;

namespace CyLlm.Cli.Tests;

/// <summary>
/// <c>--store</c> / <c>CYLLM_STORE</c>: a SQLite file or PostgreSQL (URL or Npgsql string) for keys, tenants, doctor,
/// migrate and serve. The PostgreSQL round trip needs the server .ci/services.sh starts (the README's test command) and
/// fails, never skips, without it, like the store conformance suite.
/// </summary>
public sealed class StoreOptionTests
{
    private const string Pg = "postgres://cyllm:cyllm@127.0.0.1:5432/cyllm_test";

    [Fact]
    public void A_postgres_url_becomes_an_npgsql_connection_string()
    {
        var s = StoreLocation.Resolve("postgresql://app%40corp:p%3Ass%2Fw@db.internal:6432/state%20db?sslmode=require&Timeout=7", "/tmp/x");
        Assert.True(s.IsPostgres);
        Assert.Null(s.SqlitePath);
        var b = new NpgsqlConnectionStringBuilder(s.PostgresConnectionString);
        Assert.Equal(("db.internal", 6432, "app@corp", "p:ss/w", "state db"), (b.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal(7, b.Timeout);
        Assert.DoesNotContain("p:ss/w", s.Display, StringComparison.Ordinal); // logs never show the password
    }

    [Fact]
    public void Connection_strings_files_and_the_default_are_told_apart()
    {
        Assert.Equal("h1", new NpgsqlConnectionStringBuilder(StoreLocation.Resolve("Host=h1;Username=u;Password=p;Database=d", "/tmp/x").PostgresConnectionString).Host);
        Assert.Equal(Path.GetFullPath("state/other.db"), StoreLocation.Resolve("state/other.db", "/tmp/x").SqlitePath);
        string dir = Directory.CreateTempSubdirectory("cyllm-store-").FullName;
        Assert.Equal(Path.Combine(dir, "cyllm.db"), StoreLocation.Resolve(null, dir).SqlitePath);
    }

    [Theory]
    [InlineData("postgres://")]
    [InlineData("postgres://u:secret@host/db?nosuchsetting=1")]
    [InlineData("Host=h;Nonsense=secret")]
    public void A_bad_store_is_one_line_without_the_secret(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreLocation.Resolve(value, "/tmp/x"));
        Assert.StartsWith("--store:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_and_tenants_work_on_a_sqlite_file_named_by_store()
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-store-").FullName;
        string file = Path.Combine(dir, "elsewhere", "state.db");
        string tenant = "t" + Guid.NewGuid().ToString("N")[..8];
        var (code, key, err) = CliProcess.Run("keys", "create", "--data-dir", dir, "--store", file, "--tenant", tenant);
        Assert.True(code == 0, err);
        Assert.False(string.IsNullOrWhiteSpace(key));
        Assert.True(File.Exists(file));
        Assert.False(File.Exists(Path.Combine(dir, "cyllm.db")));
        var (lc, list, lerr) = CliProcess.Run("tenants", "list", "--data-dir", dir, "--store", file);
        Assert.True(lc == 0, lerr);
        Assert.Contains(tenant, list, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrate_doctor_keys_and_tenants_work_on_postgres()
    {
        string dir = Directory.CreateTempSubdirectory("cyllm-store-").FullName;
        var (mc, mout, merr) = CliProcess.Run("migrate", "--data-dir", dir, "--store", Pg);
        Assert.True(mc == 0, "PostgreSQL from .ci/services.sh must be running: " + merr);
        Assert.Contains("schema current", mout, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=cyllm", mout, StringComparison.Ordinal);

        string tenant = "t" + Guid.NewGuid().ToString("N")[..8];
        var (kc, key, kerr) = CliProcess.Run("keys", "create", "--data-dir", dir, "--store", Pg, "--tenant", tenant, "--scope", "admin");
        Assert.True(kc == 0, kerr);
        var (lc, list, lerr) = CliProcess.Run("keys", "list", "--data-dir", dir, "--store", Pg, "--tenant", tenant);
        Assert.True(lc == 0, lerr);
        string id = System.Text.RegularExpressions.Regex.Match(kerr, @"created key (\S+)").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(key));
        Assert.False(File.Exists(Path.Combine(dir, "cyllm.db"))); // nothing went to SQLite

        var (dc, dout, derr) = CliProcess.Run("doctor", "--data-dir", dir, "--store", Pg, "--min-free-mb", "1");
        Assert.True(dc == 0, dout + derr);
    }

    [Fact]
    public async Task Two_servers_on_one_postgres_store_accept_a_key_created_once()
    {
        // Issue 17's first step: stateless replicas, each with its own scratch --data-dir, sharing keys through PostgreSQL.
        string tenant = "t" + Guid.NewGuid().ToString("N")[..8];
        var (kc, key, kerr) = CliProcess.Run("keys", "create", "--data-dir", Directory.CreateTempSubdirectory("cyllm-store-").FullName, "--store", Pg, "--tenant", tenant);
        Assert.True(kc == 0, "PostgreSQL from .ci/services.sh must be running: " + kerr);
        var env = new Dictionary<string, string?> { [StoreLocation.EnvironmentVariable] = Pg }; // the variable, as a Deployment would set it
        using var a = ServeProcess.Start(env, auth: true, "--data-dir", Directory.CreateTempSubdirectory("cyllm-rep-a-").FullName, "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"));
        using var b = ServeProcess.Start(null, auth: true, "--data-dir", Directory.CreateTempSubdirectory("cyllm-rep-b-").FullName, "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"), "--store", Pg);
        await a.WaitReadyAsync();
        await b.WaitReadyAsync();
        foreach (var replica in new[] { a, b })
        {
            using var ok = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            ok.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Trim());
            using var resp = await replica.Http.SendAsync(ok);
            Assert.True(resp.IsSuccessStatusCode, $"{(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()} {replica.Output}");
            using var bad = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            bad.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-not-a-key");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await replica.Http.SendAsync(bad)).StatusCode);
        }
    }

    [Fact]
    public async Task A_key_limited_to_6_a_minute_gets_exactly_6_of_10_requests_across_two_replicas()
    {
        // The limit lives in Redis (.ci/services.sh starts it on 6390), the key in PostgreSQL: two replicas, one budget.
        string redis = Environment.GetEnvironmentVariable("CYLLM_TEST_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:6390";
        string tenant = "t" + Guid.NewGuid().ToString("N")[..8];
        var (kc, key, kerr) = CliProcess.Run("keys", "create", "--data-dir", Directory.CreateTempSubdirectory("cyllm-store-").FullName, "--store", Pg, "--tenant", tenant);
        Assert.True(kc == 0, "PostgreSQL from .ci/services.sh must be running: " + kerr);
        string id = System.Text.RegularExpressions.Regex.Match(kerr, @"created key (\S+)").Groups[1].Value;
        string config = Path.Combine(Directory.CreateTempSubdirectory("cyllm-store-").FullName, "appsettings.json");
        File.WriteAllText(config, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Gateway"] = new Dictionary<string, object>
            {
                ["RateLimits"] = new Dictionary<string, object>
                {
                    ["Keys"] = new Dictionary<string, object> { [id] = new Dictionary<string, int> { ["RequestsPerMinute"] = 6 } },
                    ["Redis"] = redis,
                    // Fail closed: a replica whose Redis connection is not up yet must not admit past the limit.
                    ["FailOpen"] = false,
                },
            },
        }));
        ServeProcess Replica(string name) => ServeProcess.Start(null, auth: true, "--data-dir", Directory.CreateTempSubdirectory("cyllm-rep-" + name + "-").FullName,
            "--threads", "1", "--model", CliProcess.Shared("stories260K.gguf"), "--store", Pg, "--config", config);
        using var a = Replica("a");
        using var b = Replica("b");
        await a.WaitReadyAsync();
        await b.WaitReadyAsync();
        int ok = 0, limited = 0;
        for (int i = 0; i < 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Trim());
            var replica = i % 2 == 0 ? a : b;
            var resp = await replica.Http.SendAsync(request);
            // A replica still connecting to Redis answers 503 (fail closed) without charging the budget: ask again, as
            // a client would, until the connection is up (bounded; a replica that never connects fails the test).
            for (int attempt = 0; (int)resp.StatusCode == 503 && attempt < 100; attempt++)
            {
                resp.Dispose();
                await Task.Delay(100);
                using var again = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
                again.Headers.Authorization = request.Headers.Authorization;
                resp = await replica.Http.SendAsync(again);
            }

            using (resp)
            {
                ok += resp.IsSuccessStatusCode ? 1 : 0;
                limited += (int)resp.StatusCode == 429 ? 1 : 0;
            }
        }

        Assert.Equal((6, 4), (ok, limited));
    }
}
