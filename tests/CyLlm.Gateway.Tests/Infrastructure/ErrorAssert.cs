using System.Text.Json;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Checks that a body is an OpenAI error object: error.{message,type,code} strings, param string or null.</summary>
public static class ErrorAssert
{
    public static JsonElement Parse(string body)
    {
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var error = root.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
        Assert.True(error.GetProperty("param").ValueKind is JsonValueKind.String or JsonValueKind.Null);
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString());
        return error.Clone();
    }

    public static async Task<JsonElement> IsAsync(HttpResponseMessage resp, int status, string code, string? param = null)
    {
        string body = await resp.Content.ReadAsStringAsync();
        Assert.True(status == (int)resp.StatusCode, $"expected {status}, got {(int)resp.StatusCode}: {body}");
        var error = Parse(body);
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        Assert.Contains("Fix:", error.GetProperty("message").GetString());
        return error;
    }
}
