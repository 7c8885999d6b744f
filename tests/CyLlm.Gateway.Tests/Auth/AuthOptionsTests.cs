using System.Net;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>The auth switch: off only on loopback, with a loud warning; on with no keys, a hint how to create one.</summary>
public sealed class AuthOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0", false)]
    [InlineData("192.168.1.20", false)]
    [InlineData("::", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost", true)]
    public void Auth_can_be_disabled_only_on_loopback(string host, bool allowed)
    {
        var o = new GatewayOptions { BackendFactory = () => new FakeBackend(), Host = host, AuthDisabled = true };
        Assert.Equal(allowed, o.Validate().Count == 0);
        if (!allowed)
        {
            Assert.Contains("--no-auth", Assert.Single(o.Validate()));
            Assert.Throws<ArgumentException>(() => GatewayApp.Build(o));
        }

        Assert.Empty((o with { AuthDisabled = false }).Validate());
    }

    [Fact]
    public async Task Start_up_says_how_to_create_the_first_key_and_warns_when_auth_is_off()
    {
        await using (var s = await AuthServer.StartAsync())
        {
            Assert.Contains(s.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("cyllm keys create --data-dir", StringComparison.Ordinal));
            await ErrorAssert.IsAsync(await s.ChatAsync(null), 401, "invalid_api_key");
        }

        var logs = new Auth.LogCapture();
        await using var open = await LiveServer.StartAsync(new GatewayOptions { BackendFactory = () => new FakeBackend(), ExtraLogProvider = logs }, logLevel: LogLevel.Warning);
        Assert.Contains(logs.Lines, l => l.Contains("AUTHENTICATION IS DISABLED", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await open.PostJsonAsync("/v1/chat/completions", """{"model":"fake","messages":[{"role":"user","content":"hi"}],"max_tokens":2}""")).StatusCode);
    }
}
