using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CyLlm.Console.Tests;

/// <summary>
/// The web console in headless Chromium against a real gateway on loopback: signing in (and a wrong key), a streamed
/// answer stopped midway (the server cancels the request), a new key shown once, what an inference-only key may reach,
/// and the key never appearing in a URL or a log line.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleEndToEndTests(BrowserFixture fx)
{
    [SkippableFact]
    public async Task A_wrong_key_gets_a_clear_message_and_a_right_one_signs_in_without_leaking_the_key()
    {
        Skip.If(fx.Why is not null, fx.Why);
        var fake = new FakeBackend { Reply = "Hello from the console test." };
        await using var s = await ConsoleServer.StartFakeAsync(fake);
        string key = await s.KeyAsync("default", "inference");
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        var urls = new List<string>();
        page.Request += (_, r) => urls.Add(r.Url);
        // The page and its modules load well under a second on loopback. Measured on a reload in a fresh tab: the first
        // request of a new process pays for the server's JIT once, which is not what a user sees each time.
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        var fresh = await page.Context.NewPageAsync();
        await fresh.GotoAsync("/");
        await Expect(fresh.GetByLabel("API key")).ToBeVisibleAsync();
        double loaded = await fresh.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].loadEventEnd");
        Assert.True(loaded is > 0 and < 1000, $"the console took {loaded:0} ms to load");
        System.Console.WriteLine($"console load: {loaded:0} ms");
        await fresh.CloseAsync();

        await page.GetByLabel("API key").FillAsync("sk-cy-this-key-does-not-exist-0000000000000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("The server refused this key");
        await Expect(alert).ToContainTextAsync("invalid_api_key");
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('cyllm.key')"));

        await ConsolePage.SignInAsync(page, key);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Playground" })).ToBeVisibleAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync("default");
        Assert.Equal(key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('cyllm.key')"));
        // A chat, so the key is used for more than the sign-in call.
        await page.GetByLabel("Message").FillAsync("hi");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.GetByTestId("answer")).ToHaveTextAsync("Hello from the console test.");
        await Expect(page.GetByTestId("done")).ToBeVisibleAsync();

        Assert.NotEmpty(urls);
        Assert.DoesNotContain(urls, u => u.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal) || l.Contains(key[8..], StringComparison.Ordinal));
        Assert.False(page.Url.Contains(key, StringComparison.Ordinal));

        // Signing out forgets the key in this tab.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('cyllm.key')"));
    }

    [SkippableFact]
    public async Task Stop_aborts_a_streaming_answer_midway_and_the_server_cancels_the_request()
    {
        Skip.If(fx.Why is not null, fx.Why);
        var fake = new FakeBackend { UntilCancelled = true };
        await using var s = await ConsoleServer.StartFakeAsync(fake);
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("default", "inference"));
        await Expect(page.Locator("form[data-ready=true]")).ToBeVisibleAsync();

        await page.GetByLabel("Message").FillAsync("Talk forever.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        // Tokens are arriving: the answer grows and the stats show a TTFT.
        await Expect(page.GetByTestId("answer")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("x{20,}"));
        await Expect(page.Locator("[data-stat=TTFT]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ ms$"));
        Assert.Equal(0, fake.Cancelled);
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Expect(page.GetByTestId("stopped")).ToBeVisibleAsync();

        Assert.True(await fake.CancelledSignal.WaitAsync(TimeSpan.FromSeconds(15)), "the server did not cancel the generation after Stop");
        Assert.Equal(1, fake.Cancelled);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send" })).ToBeEnabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToBeDisabledAsync();
        await Expect(page.GetByTestId("raw-request")).ToContainTextAsync("\"stream\": true");
    }

    [SkippableFact]
    public async Task A_new_key_is_shown_once_works_and_is_gone_after_a_reload()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartFakeAsync(new FakeBackend { Reply = "ok" });
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("acme", "inference", "admin"));
        await ConsolePage.GoAsync(page, "#/keys");

        await page.GetByLabel("Name").FillAsync("from-the-console");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var shown = page.GetByTestId("new-key");
        await Expect(shown).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sk-cy-"));
        string created = (await shown.TextContentAsync())!;
        await AccessibilityTests.AssertAccessibleAsync(page, "new key shown once");
        await Expect(page.GetByTestId("keys")).ToContainTextAsync("from-the-console");

        // The shown key is a real key of the admin's tenant with the chosen scope.
        using var http = new HttpClient { BaseAddress = new Uri(s.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", created);
        var me = JsonDocument.Parse(await http.GetStringAsync("/v1/me")).RootElement;
        Assert.Equal("acme", me.GetProperty("tenant").GetString());
        Assert.Equal(["inference"], me.GetProperty("scopes").EnumerateArray().Select(x => x.GetString()));

        // Shown once: after a reload (or "I have stored it") the secret is nowhere on the page.
        await page.ReloadAsync();
        await ConsolePage.GoAsync(page, "#/keys");
        await Expect(page.GetByTestId("keys")).ToContainTextAsync("from-the-console");
        Assert.DoesNotContain(created, await page.ContentAsync(), StringComparison.Ordinal);

        // Rotate shows the replacement once; revoke ends the key at once.
        string prefix = created[..14];
        await page.GetByRole(AriaRole.Button, new() { Name = $"Rotate key {prefix}" }).ClickAsync();
        await Expect(shown).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^sk-cy-"));
        string rotated = (await shown.TextContentAsync())!;
        Assert.NotEqual(created, rotated);
        var row = page.GetByTestId("keys").Locator("tr").Filter(new() { HasText = rotated[..14] });
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Revoke") }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        http.DefaultRequestHeaders.Authorization = new("Bearer", rotated);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/me")).StatusCode);
    }

    [SkippableFact]
    public async Task Schema_and_tools_go_into_the_request_and_the_code_snippets_never_hold_the_key()
    {
        Skip.If(fx.Why is not null, fx.Why);
        var fake = new FakeBackend { Reply = "{\"answer\":\"yes\"}" };
        await using var s = await ConsoleServer.StartFakeAsync(fake);
        string key = await s.KeyAsync("default", "inference");
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, key);
        await Expect(page.Locator("form[data-ready=true]")).ToBeVisibleAsync();
        await page.GetByText("Structured output and tools").ClickAsync();
        await page.GetByLabel("JSON schema (response_format)").FillAsync("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},\"required\":[\"answer\"]}");
        await page.GetByLabel("Tools (JSON array)").FillAsync("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]");
        await page.GetByLabel("Seed").FillAsync("7");
        await page.GetByLabel("Message").FillAsync("Is it sunny?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.GetByTestId("done")).ToBeVisibleAsync();

        var sent = JsonDocument.Parse((await page.GetByTestId("raw-request").TextContentAsync())!).RootElement;
        Assert.Equal("json_schema", sent.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(7, sent.GetProperty("seed").GetInt32());
        Assert.Equal(7L, fake.LastRequest!.Sampling.Seed);
        await Expect(page.Locator("[data-stat='Prompt tokens']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Show curl" }).ClickAsync();
        var snippet = page.GetByTestId("snippet");
        await Expect(snippet).ToContainTextAsync("$CYLLM_API_KEY");
        await Expect(snippet).ToContainTextAsync("response_format");
        Assert.DoesNotContain(key, (await snippet.TextContentAsync())!, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show SDK code" }).ClickAsync();
        await Expect(snippet).ToContainTextAsync("client.chat.completions.create(");
        await Expect(snippet).ToContainTextAsync("os.environ[\"CYLLM_API_KEY\"]");
        Assert.DoesNotContain(key, (await snippet.TextContentAsync())!, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_finished_batch_shows_its_progress_and_its_output_downloads_with_the_key()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartFakeAsync(new FakeBackend { Reply = "batched answer" });
        string key = await s.KeyAsync("default", "inference");
        using var http = new HttpClient { BaseAddress = new Uri(s.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var lines = new StringBuilder();
        for (int i = 0; i < 2; i++)
        {
            lines.AppendLine(JsonSerializer.Serialize(new { custom_id = $"req-{i}", method = "POST", url = "/v1/chat/completions", body = new { model = "fake", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4 } }));
        }

        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(lines.ToString())), "file", "batch.jsonl");
        string fileId = JsonDocument.Parse(await (await http.PostAsync("/v1/files", form)).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var created = await http.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));
        string batchId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, key);
        await ConsolePage.GoAsync(page, "#/batches");
        var row = page.GetByTestId("batches").Locator("tr").Filter(new() { HasText = batchId });
        // The page polls while the batch runs.
        await Expect(row).ToContainTextAsync("completed", new() { Timeout = 60_000 });
        await Expect(row).ToContainTextAsync("2/2");
        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = "Download output" }).ClickAsync());
        Assert.Equal($"{batchId}-output.jsonl", download.SuggestedFilename);
        string output = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("\"custom_id\":\"req-0\"", output, StringComparison.Ordinal);
        Assert.Contains("batched answer", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_inference_only_key_sees_no_admin_pages_and_their_api_calls_are_refused()
    {
        Skip.If(fx.Why is not null, fx.Why);
        await using var s = await ConsoleServer.StartFakeAsync(new FakeBackend { Reply = "ok" });
        var page = await ConsolePage.OpenAsync(fx, s.BaseUrl);
        await ConsolePage.SignInAsync(page, await s.KeyAsync("default", "inference"));
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Console pages" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Playground" })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Usage" })).ToBeVisibleAsync();
        foreach (string admin in new[] { "Models", "Keys & tenants", "Engine", "Health" })
        {
            await Expect(nav.GetByRole(AriaRole.Link, new() { Name = admin, Exact = true })).ToHaveCountAsync(0);
        }

        var adminCalls = new List<string>();
        page.Request += (_, r) =>
        {
            if (r.Url.Contains("/v1/admin", StringComparison.Ordinal) || r.Url.EndsWith("/status", StringComparison.Ordinal) || r.Url.Contains("/health/details", StringComparison.Ordinal))
            {
                adminCalls.Add(r.Url);
            }
        };
        foreach (string route in new[] { "#/keys", "#/models", "#/engine", "#/health" })
        {
            await page.EvaluateAsync("r => { location.hash = r; }", route);
            await Expect(page.GetByTestId("forbidden")).ToContainTextAsync("needs a key with the 'admin' scope");
        }

        Assert.Empty(adminCalls);
        // The API itself refuses them too, whatever a page does: the same key from the page's own origin.
        int[] statuses = await page.EvaluateAsync<int[]>(@"async () => {
            const h = { Authorization: 'Bearer ' + sessionStorage.getItem('cyllm.key') };
            const paths = ['/v1/admin/keys', '/v1/admin/tenants', '/v1/admin/audit', '/status', '/health/details'];
            return Promise.all(paths.map(p => fetch(p, { headers: h }).then(r => r.status)));
        }");
        Assert.All(statuses, st => Assert.Equal(403, st));

        // Its own usage is there (GET /v1/me/usage, not the tenant's audit log).
        await ConsolePage.GoAsync(page, "#/usage");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My usage" })).ToBeVisibleAsync();
    }
}
