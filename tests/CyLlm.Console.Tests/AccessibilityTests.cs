using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace CyLlm.Console.Tests;

/// <summary>
/// axe-core scans of every console page — as an operator (all pages) in the light and the dark theme at desktop width,
/// and at phone width — with no serious or critical violation allowed (contrast, labels, names, landmarks).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture fx)
{
    public static readonly string[] Routes = ["#/playground", "#/fine-tuning", "#/batches", "#/tasks", "#/usage", "#/models", "#/keys", "#/engine", "#/health"];

    [SkippableTheory]
    [InlineData("light", false)]
    [InlineData("dark", false)]
    [InlineData("light", true)]
    public async Task Every_page_has_no_serious_or_critical_axe_violation(string theme, bool phone)
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartBuiltInAsync();
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl, phone ? ConsolePage.Phone : ConsolePage.Desktop, theme);
        var problems = new List<string>();
        await Scan(page, "sign-in", problems);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("system", "inference", "admin"));
        foreach (string route in Routes)
        {
            await ConsolePage.GoAsync(page, route);
            await Scan(page, route, problems);
        }

        // The forbidden-page message of an inference key, and a wrong key's message on the sign-in page.
        var limited = await ConsolePage.OpenAsync(fx, s.BaseUrl, phone ? ConsolePage.Phone : ConsolePage.Desktop, theme);
        await limited.GetByLabel("API key").FillAsync("sk-cy-wrong-000000000000000000000000000000");
        await limited.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(limited.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Scan(limited, "sign-in with a wrong key", problems);
        await ConsolePage.SignInAsync(limited, await s.KeyAsync("default", "inference"));
        await limited.EvaluateAsync("() => { location.hash = '#/keys'; }");
        await Microsoft.Playwright.Assertions.Expect(limited.GetByTestId("forbidden")).ToBeVisibleAsync();
        await Scan(limited, "forbidden", problems);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SkippableFact]
    public async Task Signing_in_and_moving_between_pages_works_with_the_keyboard_alone()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartBuiltInAsync();
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await Microsoft.Playwright.Assertions.Expect(page.GetByLabel("API key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(await s.KeyAsync("default", "inference", "admin"));
        await page.Keyboard.PressAsync("Enter");
        await Microsoft.Playwright.Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Playground" })).ToBeVisibleAsync();

        // Back from the content (focused after each move) through the header to "Engine", and follow it with Enter.
        var engine = page.GetByRole(AriaRole.Link, new() { Name = "Engine", Exact = true });
        await TabUntil(page, engine, "Shift+Tab");
        await page.Keyboard.PressAsync("Enter");
        await Microsoft.Playwright.Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Engine", Exact = true })).ToBeVisibleAsync();
        await Microsoft.Playwright.Assertions.Expect(engine).ToHaveAttributeAsync("aria-current", "page");

        // The skip link (first in the tab order) jumps to the content and keeps the page.
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        await TabUntil(page, skip, "Shift+Tab");
        await page.Keyboard.PressAsync("Enter");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("main")).ToBeFocusedAsync();
        await Microsoft.Playwright.Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Engine", Exact = true })).ToBeVisibleAsync();
    }

    private static async Task TabUntil(IPage page, ILocator target, string key)
    {
        for (int i = 0; i < 30 && !await target.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync(key);
        }

        await Microsoft.Playwright.Assertions.Expect(target).ToBeFocusedAsync();
    }

    /// <summary>Scans the page as it is now and fails on a serious or critical violation (for the e2e tests' states:
    /// a finished job's charts, a key shown once, an answered chat).</summary>
    internal static async Task AssertAccessibleAsync(IPage page, string name)
    {
        var problems = new List<string>();
        await Scan(page, name, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task Scan(IPage page, string name, List<string> problems)
    {
        AxeResult result = await page.RunAxe();
        // A scan that checked nothing would pass vacuously: the page must have given axe rules to pass.
        Assert.True(result.Passes.Length > 5, $"{name}: axe checked only {result.Passes.Length} rules");
        foreach (var v in result.Violations.Where(v => v.Impact is "serious" or "critical"))
        {
            problems.Add($"{name}: {v.Impact} {v.Id} — {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target.ToString())))}");
        }
    }
}
