using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CyLlm.Console.Tests;

/// <summary>Opens the console in a fresh browser context (its own sessionStorage) and signs in through the form.</summary>
internal static class ConsolePage
{
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    public static async Task<IPage> OpenAsync(BrowserFixture fx, string baseUrl, ViewportSize? size = null, string theme = "light")
    {
        var context = await fx.Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = size ?? Desktop,
            ColorScheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
            IsMobile = size == Phone,
        });
        var page = await context.NewPageAsync();
        // Confirmation dialogs (unload, rotate, revoke) are accepted, as a user would.
        page.Dialog += async (_, d) => await d.AcceptAsync();
        await page.GotoAsync("/");
        return page;
    }

    public static async Task SignInAsync(IPage page, string key)
    {
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#who")).Not.ToBeEmptyAsync();
    }

    /// <summary>Goes to a page by its hash route and waits until nothing on it says "Loading…".</summary>
    public static async Task GoAsync(IPage page, string route)
    {
        await page.EvaluateAsync("r => { location.hash = r; }", route);
        await Expect(page.Locator("main h1").First).ToBeVisibleAsync();
        await Expect(page.Locator("main")).Not.ToContainTextAsync("Loading…", new() { Timeout = 15_000 });
    }
}
