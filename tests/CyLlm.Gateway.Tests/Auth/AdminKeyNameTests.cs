using System.Net;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>/v1/admin/keys display names: accepted on create (trimmed), shown by create, list and rotate, and bad names
/// refused with a 400 naming <c>name</c>.</summary>
public sealed class AdminKeyNameTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage resp, HttpStatusCode expected)
    {
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(expected == resp.StatusCode, $"expected {expected}, got {resp.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task A_name_given_on_create_is_trimmed_and_shown_by_create_list_and_rotate()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var created = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret,
            """{"name":"  CI pipeline (prod) ✓  "}"""), HttpStatusCode.Created);
        Assert.Equal("CI pipeline (prod) ✓", created.GetProperty("name").GetString());
        string id = created.GetProperty("id").GetString()!;

        var list = await JsonAsync(await s.SendAsync(HttpMethod.Get, "/v1/admin/keys", admin.Secret), HttpStatusCode.OK);
        var byId = list.GetProperty("data").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!);
        Assert.Equal("CI pipeline (prod) ✓", byId[id].GetProperty("name").GetString());
        // A key created without a name lists with name null.
        Assert.Equal(JsonValueKind.Null, byId[admin.Record.Id].GetProperty("name").ValueKind);

        var rotated = await JsonAsync(await s.SendAsync(HttpMethod.Post, $"/v1/admin/keys/{id}/rotate", admin.Secret, """{"grace":"0"}"""), HttpStatusCode.OK);
        Assert.NotEqual(id, rotated.GetProperty("id").GetString());
        Assert.Equal("CI pipeline (prod) ✓", rotated.GetProperty("name").GetString());

        var blank = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"name":"   "}"""), HttpStatusCode.Created);
        Assert.Equal(JsonValueKind.Null, blank.GetProperty("name").ValueKind);
        var longest = new string('n', ApiKeyService.MaxNameLength);
        var atLimit = await JsonAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, $$"""{"name":"{{longest}}"}"""), HttpStatusCode.Created);
        Assert.Equal(longest, atLimit.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{"name":"tab\there"}""")]
    [InlineData("""{"name":"line\nbreak"}""")]
    [InlineData("""{"name":"esc\u001b[31m"}""")]
    [InlineData("""{"name":"del\u007f"}""")]
    public async Task Names_with_control_characters_are_refused_with_a_400_naming_name(string body)
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        var err = await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, body), 400, "invalid_request_error", "name");
        Assert.Contains("control character", err.GetProperty("message").GetString());
        // Nothing was stored.
        Assert.Single(await s.Keys.ListAsync("default"));
    }

    [Fact]
    public async Task Names_longer_than_128_characters_or_not_strings_are_refused()
    {
        await using var s = await AuthServer.StartAsync();
        var admin = await s.IssueAsync(scopes: [AuthScopes.Admin, AuthScopes.Inference]);
        string tooLong = new('n', ApiKeyService.MaxNameLength + 1);
        var err = await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, $$"""{"name":"{{tooLong}}"}"""), 400, "invalid_request_error", "name");
        Assert.Contains("128", err.GetProperty("message").GetString());
        await ErrorAssert.IsAsync(await s.SendAsync(HttpMethod.Post, "/v1/admin/keys", admin.Secret, """{"name":42}"""), 400, "invalid_request_error");
        Assert.Single(await s.Keys.ListAsync("default"));
    }
}
