using System.Text;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CyLlm.Console.Tests;

/// <summary>
/// Console flows beyond the happy path: the server's own list of bad upload rows, cancelling a running fine-tuning
/// job from its page, and loading then unloading a LoRA adapter on the Models page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleAdminFlowTests(BrowserFixture fx)
{
    [SkippableFact]
    public async Task The_servers_list_of_bad_rows_is_shown_when_its_upload_check_refuses_a_file_the_page_let_through()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartFakeAsync(new FakeBackend { Reply = "ok" });
        string key = await s.KeyAsync("default", "inference");
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, key);
        await ConsolePage.GoAsync(page, "#/fine-tuning");

        // Nested 70 deep: valid JSON to the browser, but deeper than the server's limit of 64, so only the server refuses it.
        string deep = new string('[', 70) + new string(']', 70);
        string bad = $"{{\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}},{{\"role\":\"assistant\",\"content\":\"yo\"}}],\"meta\":{deep}}}\n";
        byte[] content = [.. FineTuningConsoleTests.Dataset(), .. Encoding.UTF8.GetBytes(bad)];
        await page.GetByLabel("Training data (chat JSONL)").SetInputFilesAsync(new FilePayload { Name = "deep.jsonl", MimeType = "application/jsonl", Buffer = content });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload and start" }).ClickAsync();

        var errors = page.GetByTestId("server-row-errors");
        await Expect(errors).ToContainTextAsync("line 7");
        await Expect(errors.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(errors.Locator("tbody tr").Nth(0)).ToContainTextAsync("meta[0][0]");
        await Expect(errors.Locator("tbody tr").Nth(0)).ToContainTextAsync("not valid JSON");
        await AccessibilityTests.AssertAccessibleAsync(page, "server row errors");

        using var http = new HttpClient { BaseAddress = new Uri(s.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Contains("\"data\":[]", (await http.GetStringAsync("/v1/files")).Replace(" ", string.Empty, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Cancel_on_a_running_job_page_cancels_the_job()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartBuiltInAsync();
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("default", "inference"));
        await ConsolePage.GoAsync(page, "#/fine-tuning");
        await page.GetByLabel("Training data (chat JSONL)").SetInputFilesAsync(new FilePayload { Name = "cat.jsonl", MimeType = "application/jsonl", Buffer = FineTuningConsoleTests.Dataset() });
        // The most epochs the API takes (100), far more than the test waits for: the job still runs when Cancel is pressed.
        await page.GetByLabel("Epochs").FillAsync("100");
        await page.GetByLabel("Batch size").FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload and start" }).ClickAsync();

        await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("running", new() { Timeout = 120_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
        await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("cancelled", new() { Timeout = 120_000 });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("job-model")).ToHaveTextAsync("—");
    }

    [SkippableFact]
    public async Task A_lora_adapter_loads_and_unloads_on_the_models_page()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartBuiltInAsync();
        var config = ((EngineBackend)s.Server.App.State.RequireBackend()).Engine.Config;
        var dir = Directory.CreateTempSubdirectory("cyllm-console-lora-");
        try
        {
            string peft = PeftWriter.Write(Path.Combine(dir.FullName, "peft"), config.Layers, config.Dim);
            var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
            // The operator loads adapters from any server path; a tenant admin only inside Gateway:AdapterDirectory.
            await ConsolePage.SignInAsync(page, await s.KeyAsync("system", "inference", "admin"));
            await ConsolePage.GoAsync(page, "#/models");
            await page.GetByLabel("Adapter name").FillAsync("console-lora");
            await page.GetByLabel("PEFT folder or GGUF LoRA on the server").FillAsync(peft);
            await page.GetByRole(AriaRole.Button, new() { Name = "Load adapter" }).ClickAsync();

            var row = page.GetByTestId("models").Locator("tr").Filter(new() { HasText = "cyllm-default:console-lora" });
            await Expect(row).ToContainTextAsync("adapter");
            await row.GetByRole(AriaRole.Button, new() { Name = "Unload cyllm-default:console-lora" }).ClickAsync();
            await Expect(row).ToHaveCountAsync(0);
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Unload cyllm-default" })).ToBeVisibleAsync();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
