using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests;

/// <summary>docs/errors.md documents every error code the gateway can send, with its status and a fix.</summary>
public sealed class ErrorDocsTests
{
    [Fact]
    public void Every_error_code_has_a_row_with_a_status_and_a_fix()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "errors.md"));
        foreach (string code in ErrorCodes.All)
        {
            string? row = lines.FirstOrDefault(l => l.StartsWith($"| `{code}` |", StringComparison.Ordinal));
            Assert.True(row is not null, $"docs/errors.md has no row for {code}");
            var cells = row!.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, cells.Length);
            Assert.Matches("^[45][0-9][0-9]", cells[1]);
            Assert.True(cells[2].Length > 10 && cells[3].Length > 10, row);
        }
    }
}
