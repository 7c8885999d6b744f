using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Files;

/// <summary>
/// A fine-tune upload with bad rows is refused once with all of them: <c>error.row_errors</c> lists the first
/// <see cref="FileUploadHandler.MaxRowErrors"/> (line, field, message), the message stays one line naming the first
/// and the count, and the code is the same <c>invalid_request_error</c> as before.
/// </summary>
public sealed class FineTuneUploadRowErrorsTests
{
    private const string Good = """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}""";

    [Fact]
    public async Task Every_bad_row_is_listed_with_its_line_and_field()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string content = string.Join('\n', Good, "not json", Good, "[1,2]", """{"messages":[{"role":"user","content":}]}""", "", "\"text\"") + "\n";
        using var res = await s.Http.SendAsync(DurableApi.UploadRequest(content, "fine-tune"));
        var error = await ErrorAssert.IsAsync(res, 400, "invalid_request_error", "file");
        string message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain('\n', message);
        Assert.Contains("line 2: not valid JSON", message, StringComparison.Ordinal);
        Assert.Contains("and 3 more bad lines", message, StringComparison.Ordinal);

        var rows = error.GetProperty("row_errors").EnumerateArray().ToList();
        Assert.Equal([2L, 4L, 5L, 7L], rows.Select(r => r.GetProperty("line").GetInt64()));
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("field").ValueKind);
        Assert.Equal("expected a JSON object", rows[1].GetProperty("message").GetString());
        Assert.Equal("messages[0].content", rows[2].GetProperty("field").GetString());
        Assert.StartsWith("not valid JSON", rows[2].GetProperty("message").GetString(), StringComparison.Ordinal);

        var list = await DurableApi.GetJsonAsync(s.Http, "/v1/files");
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task The_list_stops_at_the_limit_and_the_message_counts_the_rest()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        var sb = new StringBuilder();
        for (int i = 0; i < 70; i++)
        {
            sb.AppendLine(i % 2 == 0 ? Good : "{");
        }

        using var res = await s.Http.SendAsync(DurableApi.UploadRequest(sb.ToString(), "fine-tune"));
        var error = await ErrorAssert.IsAsync(res, 400, "invalid_request_error", "file");
        Assert.Contains("and 34 more bad lines", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var rows = error.GetProperty("row_errors").EnumerateArray().ToList();
        Assert.Equal(35, rows.Count);

        sb.Clear();
        for (int i = 0; i < FileUploadHandler.MaxRowErrors + 10; i++)
        {
            sb.AppendLine("[]");
        }

        using var many = await s.Http.SendAsync(DurableApi.UploadRequest(sb.ToString(), "fine-tune"));
        var capped = await ErrorAssert.IsAsync(many, 400, "invalid_request_error", "file");
        Assert.Equal(FileUploadHandler.MaxRowErrors, capped.GetProperty("row_errors").GetArrayLength());
        Assert.Equal(FileUploadHandler.MaxRowErrors, capped.GetProperty("row_errors")[FileUploadHandler.MaxRowErrors - 1].GetProperty("line").GetInt64());
        Assert.Contains($"and {FileUploadHandler.MaxRowErrors + 9} more bad lines", capped.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_errors_have_no_row_errors_field()
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        using var res = await s.Http.SendAsync(DurableApi.UploadRequest("{\"custom_id\":1}\n", "batch"));
        var error = await ErrorAssert.IsAsync(res, 400, "invalid_request_error", "file");
        Assert.False(error.TryGetProperty("row_errors", out _));
    }
}
