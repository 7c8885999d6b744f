using CyLlm.Gateway.Auth;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>Keys never reach the log: the full key and its hash are absent from every line a server logged while
/// keys were created, used, refused and rotated (only prefixes may appear).</summary>
public sealed class KeyMaterialLoggingTests
{
    [Fact]
    public async Task Neither_keys_nor_their_hashes_appear_in_any_log_line()
    {
        var secrets = new List<string>();
        string logs;
        await using (var s = await AuthServer.StartAsync())
        {
            var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
            secrets.Add(admin.Secret);
            var created = System.Text.Json.JsonDocument.Parse(await (await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"scopes":["inference"],"expires_in":"1h"}""")).Content.ReadAsStringAsync());
            string user = created.RootElement.GetProperty("key").GetString()!;
            secrets.Add(user);
            await s.ChatAsync(user);
            await s.ChatAsync(user, model: "other-model");
            string unknown = ApiKeySecret.Generate();
            secrets.Add(unknown);
            await s.ChatAsync(unknown);
            var rotated = System.Text.Json.JsonDocument.Parse(await (await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{created.RootElement.GetProperty("id").GetString()}/rotate", admin.Secret, """{"grace":"0"}""")).Content.ReadAsStringAsync());
            secrets.Add(rotated.RootElement.GetProperty("key").GetString()!);
            await s.ChatAsync(user);
            s.Time.Advance(TimeSpan.FromHours(2));
            await s.ChatAsync(secrets[^1]);
            await s.FlushAuditAsync();
            logs = s.Logs.All;
            Assert.NotEmpty(s.Logs.Lines); // the capture is wired: the server did log (start-up, requests)
        }

        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, logs);
            Assert.DoesNotContain(secret[ApiKeySecret.PrefixLength..], logs);
            Assert.DoesNotContain(ApiKeySecret.Hash(secret), logs);
        }
    }
}
