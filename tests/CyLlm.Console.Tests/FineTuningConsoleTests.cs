using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CyLlm.Console.Tests;

/// <summary>
/// The fine-tuning loop in the browser on the built-in model: a dataset with bad rows is refused row by row before
/// anything is uploaded; a good one is uploaded, a LoRA job starts, its loss chart gains points while it trains, and
/// the finished adapter answers in the playground.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FineTuningConsoleTests(BrowserFixture fx)
{
    /// <summary>The chat dataset of the job: short, so a few epochs take seconds on the built-in model.</summary>
    public static byte[] Dataset()
    {
        string[] prompts = ["Tell me a story.", "What did the dog do?", "Where is Lily?", "Who is happy?", "What is red?", "Can you sing?"];
        var sb = new StringBuilder();
        foreach (string p in prompts)
        {
            sb.AppendLine(JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = p }, new { role = "assistant", content = "The cat sat on the mat." } } }));
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [SkippableFact]
    public async Task A_lora_job_from_an_uploaded_dataset_draws_its_loss_curve_and_its_adapter_answers_in_the_playground()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartBuiltInAsync();
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("default", "inference"));
        await ConsolePage.GoAsync(page, "#/fine-tuning");
        await Expect(page.GetByLabel("Base model")).ToHaveValueAsync("cyllm-default");

        // Bad rows: each is listed with its row number, and nothing is uploaded.
        string bad = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\nnot json\n{\"messages\":[{\"role\":\"user\",\"content\":\"no answer\"}]}\n";
        await page.GetByLabel("Training data (chat JSONL)").SetInputFilesAsync(new FilePayload { Name = "bad.jsonl", MimeType = "application/jsonl", Buffer = Encoding.UTF8.GetBytes(bad) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload and start" }).ClickAsync();
        var errors = page.GetByTestId("row-errors");
        await Expect(errors).ToContainTextAsync("2 problems");
        await Expect(errors.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(errors.Locator("tbody tr").Nth(0)).ToContainTextAsync("2");
        await Expect(errors.Locator("tbody tr").Nth(0)).ToContainTextAsync("not JSON");
        await Expect(errors.Locator("tbody tr").Nth(1)).ToContainTextAsync("no assistant message");
        using var http = new HttpClient { BaseAddress = new Uri(s.BaseUrl) };

        await page.GetByLabel("Training data (chat JSONL)").SetInputFilesAsync(new FilePayload { Name = "cat.jsonl", MimeType = "application/jsonl", Buffer = Dataset() });
        await page.GetByLabel("Suffix").FillAsync("cat");
        await page.GetByLabel("Epochs").FillAsync("8");
        await page.GetByLabel("Batch size").FillAsync("2");
        await page.GetByLabel("Learning-rate multiplier").FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload and start" }).ClickAsync();

        // The job page: the loss chart gains points while the job runs, then the job succeeds.
        await Expect(page.GetByTestId("job-head")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points || 0) >= 1", null, new() { Timeout = 120_000 });
        int first = int.Parse((await page.GetByTestId("loss-chart").GetAttributeAsync("data-points"))!, System.Globalization.CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync($"() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points || 0) > {first}", null, new() { Timeout = 120_000 });
        await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("succeeded", new() { Timeout = 300_000 });
        await Expect(page.GetByTestId("lr-chart")).Not.ToHaveAttributeAsync("data-points", "0");
        await AccessibilityTests.AssertAccessibleAsync(page, "finished fine-tuning job");
        string tuned = (await page.GetByTestId("job-model").TextContentAsync())!;
        Assert.StartsWith("ft:cyllm-default:cat:", tuned, StringComparison.Ordinal);

        await page.GetByTestId("chat-with-result").ClickAsync();
        await Expect(page.Locator("form[data-ready=true]")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Model or adapter")).ToHaveValueAsync(tuned);
        await page.GetByLabel("Temperature").FillAsync("0");
        await page.GetByLabel("Message").FillAsync("What does the cat do?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.GetByTestId("done")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("answer")).Not.ToBeEmptyAsync();
        await Expect(page.GetByTestId("raw-request")).ToContainTextAsync(tuned);
        await AccessibilityTests.AssertAccessibleAsync(page, "answered chat");

        // An admin sees it on the Models page as a fine-tuned adapter of the built-in model and unloads it by the id
        // the API returned (the confirmation is accepted by ConsolePage's dialog handler).
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConsolePage.SignInAsync(page, await s.KeyAsync("default", "inference", "admin"));
        await ConsolePage.GoAsync(page, "#/models");
        var row = page.GetByTestId("models").Locator("tr").Filter(new() { HasText = tuned });
        await Expect(row).ToContainTextAsync("fine-tuned adapter");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Unload {tuned}" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Unload cyllm-default" })).ToBeVisibleAsync();
    }
}
