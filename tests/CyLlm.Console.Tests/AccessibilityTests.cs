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
