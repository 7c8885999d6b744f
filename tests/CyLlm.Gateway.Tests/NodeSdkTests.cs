using System.Diagnostics;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>
/// The official OpenAI Node SDK (tests/node-sdk, installed by .ci/run with npm ci) runs a tool loop — non-streamed,
/// streamed — and n = 3 against a live gateway whose backend answers scripted text. Skipped, not passed, where Node or
/// the package is missing.
/// </summary>
public sealed class NodeSdkTests(FakeServerFixture fx) : IClassFixture<FakeServerFixture>
{
    [SkippableFact]
    public async Task The_node_sdk_tool_loop_streamed_and_not_and_n_three_pass()
    {
        string dir = Path.Combine(RepoPaths.Root, "tests", "node-sdk");
        Skip.IfNot(Directory.Exists(Path.Combine(dir, "node_modules", "openai")), "tests/node-sdk has no node_modules: run npm ci there (.ci/run does)");
        // A tool result in the conversation (the fallback template folds it into a user turn) → the answer.
        fx.Backend.ReplyFor = messages => messages is { } m && m.Any(x => x.Role == "tool" || x.ToolCallId is not null || (x.Content ?? "").Contains("sunny", StringComparison.Ordinal))
            ? "It is sunny in Paris."
            : messages is { Count: > 0 } q && q[^1].Content == "hi" ? null
            : "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        try
        {
            var psi = new ProcessStartInfo("node", ["tool-loop.mjs"])
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.Environment["BASE_URL"] = fx.Server.BaseUrl + "/v1";
            Process p;
            try
            {
                p = Process.Start(psi)!;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Skip.If(true, "node is not installed");
                return;
            }

            using (p)
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
                Assert.True(p.ExitCode == 0, $"node exited {p.ExitCode}: {await stderr}{await stdout}");
                Assert.Contains("\"ok\":true", await stdout, StringComparison.Ordinal);
            }
        }
        finally
        {
            fx.Backend.ReplyFor = null;
        }
    }
}
