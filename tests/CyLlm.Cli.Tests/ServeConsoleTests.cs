using System.Net;

namespace CyLlm.Cli.Tests;

/// <summary>`cyllm serve` with no flags serves the web console at / (the README's set-up and nothing more), and
/// --no-console takes it away.</summary>
public sealed class ServeConsoleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-serve-console-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_built_in_model_server_serves_the_console_and_no_console_removes_it()
    {
        using (var on = ServeProcess.Start(null, auth: true, "--data-dir", Path.Combine(_dir, "on")))
        {
            await on.WaitReadyAsync();
            var page = await on.Http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("/console/app.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", string.Join(";", page.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await on.Http.GetAsync("/console/console.css")).StatusCode);
        }

        using var off = ServeProcess.Start(null, auth: false, "--data-dir", Path.Combine(_dir, "off"), "--no-console");
        await off.WaitReadyAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await off.Http.GetAsync("/")).StatusCode);
    }
}
