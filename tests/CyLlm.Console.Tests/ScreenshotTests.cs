using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CyLlm.Console.Tests;

/// <summary>
/// Every page with real content (a chat, a finished LoRA job, a batch, keys, live engine charts) at desktop
/// (1280×800) and phone (390×844) width: no page may scroll sideways on a phone. With CYLLM_CONSOLE_SCREENSHOTS=DIR
/// (scripts/console/screenshots.sh sets docs/console) each view is saved there as PAGE-desktop.png / PAGE-phone.png.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenshotTests(BrowserFixture fx)
{
    [SkippableFact]
    public async Task Every_page_renders_at_desktop_and_phone_width_without_sideways_scrolling()
    {
        Skip.If(fx.Why is not null, fx.Why);
        string? dir = Environment.GetEnvironmentVariable("CYLLM_CONSOLE_SCREENSHOTS") is { Length: > 0 } d ? Path.GetFullPath(d) : null;
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await using var s = await ConsoleServer.StartBuiltInAsync();
        string key = await s.KeyAsync("system", "inference", "admin");
        await s.KeyAsync("system", "metrics");
        await s.KeyAsync("acme", "inference");
        string batchId = await StartBatchAsync(s.BaseUrl, key);

        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await Shoot(page, "sign-in", dir);
        await ConsolePage.SignInAsync(page, key);

        await page.GetByLabel("System prompt").FillAsync("You are a storyteller.");
        await page.GetByLabel("Message").FillAsync("Once upon a time");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.GetByTestId("done")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Shoot(page, "playground", dir);

        await ConsolePage.GoAsync(page, "#/fine-tuning");
        await page.GetByLabel("Training data (chat JSONL)").SetInputFilesAsync(new FilePayload { Name = "cat.jsonl", MimeType = "application/jsonl", Buffer = FineTuningConsoleTests.Dataset() });
        await page.GetByLabel("Suffix").FillAsync("cat");
        await page.GetByLabel("Epochs").FillAsync("8");
        await page.GetByLabel("Batch size").FillAsync("2");
        await page.GetByLabel("Learning-rate multiplier").FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload and start" }).ClickAsync();
        await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("succeeded", new() { Timeout = 300_000 });
        await Shoot(page, "fine-tuning-job", dir);

        using (var http = Client(s.BaseUrl, key))
        {
            for (int i = 0; i < 600; i++)
            {
                var b = JsonDocument.Parse(await http.GetStringAsync($"/v1/batches/{batchId}")).RootElement;
                if (b.GetProperty("status").GetString() is "completed" or "failed" or "expired" or "cancelled")
                {
                    break;
                }

                await Task.Delay(100);
            }
        }

        foreach (string route in new[] { "fine-tuning", "batches", "tasks", "usage", "models", "keys", "health" })
        {
            await ConsolePage.GoAsync(page, "#/" + route);
            await Shoot(page, route, dir);
        }

        await ConsolePage.GoAsync(page, "#/engine");
        // Four samples (two series each), so the live charts have lines.
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=queue-chart]')?.dataset.points || 0) >= 8", null, new() { Timeout = 30_000 });
        // The operator also gets token rates read from the Prometheus text at /metrics.
        await Expect(page.GetByTestId("token-rate")).ToBeVisibleAsync();
        await Shoot(page, "engine", dir);

        await page.GetByRole(AriaRole.Button, new() { Name = "Switch between light and dark theme" }).ClickAsync();
        await ConsolePage.GoAsync(page, "#/fine-tuning");
        await page.GetByRole(AriaRole.Link).Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^ftjob-") }).First.ClickAsync();
        await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("succeeded");
        await Shoot(page, "fine-tuning-job-dark", dir, phone: false);
    }

    /// <summary>Saves the page at desktop and at phone width (with the menu closed) and checks the phone view fits.</summary>
    private static async Task Shoot(IPage page, string name, string? dir, bool phone = true)
    {
        await page.SetViewportSizeAsync(ConsolePage.Desktop.Width, ConsolePage.Desktop.Height);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        if (dir is not null)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{name}-desktop.png") });
        }

        if (!phone)
        {
            return;
        }

        await page.SetViewportSizeAsync(ConsolePage.Phone.Width, ConsolePage.Phone.Height);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 1, $"{name} scrolls sideways by {overflow}px at phone width");
        if (dir is not null)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"{name}-phone.png") });
        }

        await page.SetViewportSizeAsync(ConsolePage.Desktop.Width, ConsolePage.Desktop.Height);
    }

    private static HttpClient Client(string baseUrl, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>A small batch of three chat requests through the API, so the batches page has one to show.</summary>
    private static async Task<string> StartBatchAsync(string baseUrl, string key)
    {
        using var http = Client(baseUrl, key);
        var lines = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            lines.AppendLine(JsonSerializer.Serialize(new
            {
                custom_id = $"r{i}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { model = "cyllm-default", messages = new[] { new { role = "user", content = $"Story {i}" } }, max_tokens = 16 },
            }));
        }

        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(lines.ToString()));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "batch.jsonl");
        var up = await http.PostAsync("/v1/files", form);
        Assert.True(up.IsSuccessStatusCode, await up.Content.ReadAsStringAsync());
        string fileId = JsonDocument.Parse(await up.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var r = await http.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
