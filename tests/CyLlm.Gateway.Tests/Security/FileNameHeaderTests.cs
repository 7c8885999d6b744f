using System.Net;
using System.Text;
using CyLlm.Gateway.Endpoints.Files;
using CyLlm.Gateway.Tests.Files;
using CyLlm.Gateway.Tests.Infrastructure;

namespace CyLlm.Gateway.Tests.Security;

/// <summary>File downloads carry any stored name in an RFC 6266 Content-Disposition (ASCII fallback + filename*), never
/// the raw name: a non-ASCII name used to make the download a 500, and CR/LF must never reach a header.</summary>
public sealed class FileNameHeaderTests
{
    [Theory]
    [InlineData("résumé.jsonl")]
    [InlineData("日本語のデータ.jsonl")]
    [InlineData("say \"hi\".jsonl")]
    [InlineData("back\\slash; x=1 100%.jsonl")]
    [InlineData("emoji 🚀.jsonl")]
    public async Task An_uploaded_name_downloads_with_its_exact_name(string name)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        string content = DurableApi.ChatLines(1);
        using var up = await s.Http.SendAsync(Upload(content, name));
        var file = await DurableApi.OkJsonAsync(up);
        Assert.Equal(name, file.GetProperty("filename").GetString());

        using var down = await s.Http.GetAsync($"/v1/files/{file.GetProperty("id").GetString()}/content");
        Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        Assert.Equal(content, await down.Content.ReadAsStringAsync());
        AssertHeaderCarries(down, name);
    }

    [Theory]
    [InlineData("evil\r\nSet-Cookie: a=b.jsonl")]
    [InlineData("line\nbreak.jsonl")]
    public async Task A_stored_name_with_cr_or_lf_cannot_reach_a_header(string name)
    {
        await using var s = await LiveServer.StartFakeAsync(new FakeBackend());
        // Uploads refuse control characters in names...
        using var refused = await s.Http.SendAsync(Upload(DurableApi.ChatLines(1), name));
        await ErrorAssert.IsAsync(refused, 400, "invalid_request_error", "file");

        // ...and a name stored by another path (an older server, a direct store write) still downloads safely.
        var uploaded = await DurableApi.UploadAsync(s.Http, DurableApi.ChatLines(1));
        var record = await s.App.State.Store.GetFileAsync("default", uploaded.GetProperty("id").GetString()!);
        var renamed = record! with { Id = FileIds.New(), FileName = name };
        await s.App.State.Store.AddFileAsync(renamed);
        using var down = await s.Http.GetAsync($"/v1/files/{renamed.Id}/content");
        Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        Assert.False(down.Headers.Contains("Set-Cookie"));
        AssertHeaderCarries(down, name);
    }

    [Fact]
    public void The_header_is_visible_ascii_with_a_fallback_and_the_exact_name()
    {
        Assert.Equal("attachment; filename=\"r_sum_.jsonl\"; filename*=UTF-8''r%C3%A9sum%C3%A9.jsonl", ContentDispositions.Attachment("résumé.jsonl"));
        Assert.Equal("attachment; filename=\"a_b_c_.jsonl\"; filename*=UTF-8''a%22b%5Cc%0D.jsonl", ContentDispositions.Attachment("a\"b\\c\r.jsonl"));
    }

    /// <summary>An upload whose part names the file only by an RFC 8187 filename* (the exact name, percent-encoded), as
    /// browsers and SDKs may send it; HttpClient's own helper cannot send quotes or CR/LF in a name.</summary>
    private static HttpRequestMessage Upload(string content, string name)
    {
        var part = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        Assert.True(part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"file\"; filename*=UTF-8''{Uri.EscapeDataString(name)}"));
        var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        form.Add(part);
        return new HttpRequestMessage(HttpMethod.Post, "/v1/files") { Content = form };
    }

    private static void AssertHeaderCarries(HttpResponseMessage down, string name)
    {
        var cd = down.Content.Headers.ContentDisposition;
        Assert.NotNull(cd);
        Assert.Equal("attachment", cd!.DispositionType);
        Assert.Equal(name, cd.FileNameStar);
        string raw = string.Join(",", down.Content.Headers.GetValues("Content-Disposition"));
        Assert.All(raw, c => Assert.True(c is >= ' ' and <= '~', $"header character U+{(int)c:X4} is not visible ASCII: {raw}"));
    }
}
