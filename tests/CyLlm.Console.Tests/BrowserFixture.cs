using Microsoft.Playwright;

namespace CyLlm.Console.Tests;

/// <summary>
/// One headless Chromium for the test class: Debian's <c>/usr/bin/chromium</c> (installed by .ci/services.sh) driven by
/// Playwright for .NET's own bundled driver, so nothing is downloaded. Where that browser is missing the tests report
/// skipped (<see cref="Why"/>); a browser that is present but fails to start is a failure, not a skip.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public string? Why { get; private set; }

    public async Task InitializeAsync()
    {
        string path = Environment.GetEnvironmentVariable("CYLLM_CHROMIUM") is { Length: > 0 } p ? p : ChromiumPath;
        if (!File.Exists(path))
        {
            Why = $"{path} is missing: install Debian's chromium package (bash .ci/services.sh does)";
            return;
        }

        // CI runs every test project at once on a small machine: give each expectation more than Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            // CI runs as root, where Chromium refuses its sandbox; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
