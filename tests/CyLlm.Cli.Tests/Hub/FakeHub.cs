using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CyLlm.Cli.Tests.Hub;

/// <summary>
/// A Hugging Face Hub on loopback with the parts of its HTTP API a pull uses: <c>GET /api/models/{repo}/revision/{rev}</c>
/// (sha + siblings), <c>HEAD/GET /{repo}/resolve/{rev}/{file}</c> with ETag / X-Linked-Etag / X-Linked-Size /
/// X-Repo-Commit and <c>Range: bytes=N-</c> (206), the Hub's X-Error-Code on 404s, and optionally a 302 from resolve to an
/// LFS-like <c>/lfs/{sha}</c> URL as the real Hub does. Every request is recorded so tests can assert what was asked.
/// Faults: cut the next download after N bytes, stall it after N bytes until the client goes away, ignore ranges.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, (string Commit, ConcurrentDictionary<string, (byte[] Bytes, string Etag)> Files)> repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> lfs = new(StringComparer.Ordinal);
    private long cutAfter = -1;
    private long stallAfter = -1;

    private FakeHub(WebApplication app) => this.app = app;

    public string Endpoint => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    public ConcurrentQueue<FakeHubRequest> Requests { get; } = new();

    /// <summary>Answer resolve GETs with a 302 to /lfs/{sha} (HEADs too, carrying the X-Linked-* headers).</summary>
    public bool RedirectToLfs { get; set; }

    /// <summary>With <see cref="RedirectToLfs"/>: redirect to this host name instead of 127.0.0.1 (same server, another
    /// authority, as the Hub's storage host is another host).</summary>
    public string? LfsHost { get; set; }

    /// <summary>Answer 200 with the whole file even when a Range was asked for.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>Completed when a stalled download has sent its bytes (see <see cref="StallNextDownloadAfter"/>).</summary>
    public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var hub = new FakeHub(builder.Build());
        hub.app.Run(hub.HandleAsync);
        await hub.app.StartAsync();
        return hub;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Adds a repository at <paramref name="commit"/>; each file is advertised with its true sha256 unless overridden.</summary>
    public void AddRepo(string repo, string commit, params (string File, byte[] Bytes)[] files)
    {
        var r = (Commit: commit, Files: new ConcurrentDictionary<string, (byte[] Bytes, string Etag)>(StringComparer.Ordinal));
        foreach (var (file, bytes) in files)
        {
            r.Files[file] = (bytes, Sha256(bytes));
            lfs[Sha256(bytes)] = bytes;
        }

        repos[repo] = r;
    }

    /// <summary>Advertises <paramref name="etag"/> for a file (a wrong sha256, or a git sha1 for a small non-LFS file).</summary>
    public void Advertise(string repo, string file, string etag)
    {
        var r = repos[repo];
        r.Files[file] = (r.Files[file].Bytes, etag);
    }

    /// <summary>The next file download sends bytes up to offset <paramref name="bytes"/> and then closes the connection.</summary>
    public void CutNextDownloadAfter(long bytes) => Interlocked.Exchange(ref cutAfter, bytes);

    /// <summary>The next file download sends bytes up to offset <paramref name="bytes"/>, completes <see cref="Stalled"/> and waits for the client to go away.</summary>
    public void StallNextDownloadAfter(long bytes) => Interlocked.Exchange(ref stallAfter, bytes);

    public int Downloads => Requests.Count(q => q.Method == "GET" && (q.Path.Contains("/resolve/", StringComparison.Ordinal) || q.Path.StartsWith("/lfs/", StringComparison.Ordinal)) && q.Status is 200 or 206);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        string path = ctx.Request.Path.Value ?? "";
        var seen = new FakeHubRequest(ctx.Request.Method, path, ctx.Request.Headers.Range.FirstOrDefault(), ctx.Request.Headers.Authorization.FirstOrDefault());
        // Recorded as the response starts, before the client can see a byte of it, so a test never races its own pull.
        ctx.Response.OnStarting(() =>
        {
            Requests.Enqueue(seen with { Status = ctx.Response.StatusCode });
            return Task.CompletedTask;
        });
        await RouteAsync(ctx, path);
    }

    private async Task RouteAsync(HttpContext ctx, string path)
    {
        string[] parts = path.TrimStart('/').Split('/');
        if (parts.Length >= 6 && parts[0] == "api" && parts[1] == "models" && parts[4] == "revision")
        {
            string repo = parts[2] + "/" + parts[3];
            string rev = Uri.UnescapeDataString(string.Join('/', parts[5..]));
            if (!repos.TryGetValue(repo, out var r))
            {
                NotFound(ctx, "RepoNotFound");
                return;
            }

            if (rev != "main" && rev != r.Commit)
            {
                NotFound(ctx, "RevisionNotFound");
                return;
            }

            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = repo,
                sha = r.Commit,
                siblings = r.Files.Keys.Order(StringComparer.Ordinal).Select(f => new { rfilename = f }),
            }));
            return;
        }

        if (parts.Length == 2 && parts[0] == "lfs" && lfs.TryGetValue(parts[1], out var blob))
        {
            await SendBytesAsync(ctx, blob);
            return;
        }

        if (parts.Length >= 5 && parts[2] == "resolve")
        {
            string repo = parts[0] + "/" + parts[1];
            if (!repos.TryGetValue(repo, out var r))
            {
                NotFound(ctx, "RepoNotFound");
                return;
            }

            string file = Uri.UnescapeDataString(string.Join('/', parts[4..]));
            if ((parts[3] != "main" && parts[3] != r.Commit) || !r.Files.TryGetValue(file, out var served))
            {
                NotFound(ctx, "EntryNotFound");
                return;
            }

            ctx.Response.Headers["X-Repo-Commit"] = r.Commit;
            if (RedirectToLfs)
            {
                ctx.Response.Headers["X-Linked-Etag"] = $"\"{served.Etag}\"";
                ctx.Response.Headers["X-Linked-Size"] = served.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ctx.Response.Headers.ETag = "\"not-the-sha\"";
                ctx.Response.StatusCode = 302;
                ctx.Response.Headers.Location = $"{(LfsHost is null ? Endpoint : Endpoint.Replace("127.0.0.1", LfsHost, StringComparison.Ordinal))}/lfs/{Sha256(served.Bytes)}";
                return;
            }

            ctx.Response.Headers.ETag = $"\"{served.Etag}\"";
            await SendBytesAsync(ctx, served.Bytes);
            return;
        }

        NotFound(ctx, null);
    }

    private async Task SendBytesAsync(HttpContext ctx, byte[] bytes)
    {
        long start = 0;
        string? range = ctx.Request.Headers.Range.FirstOrDefault();
        if (!IgnoreRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (start >= bytes.Length)
            {
                ctx.Response.StatusCode = 416;
                return;
            }

            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }

        ctx.Response.ContentLength = bytes.Length - start;
        ctx.Response.ContentType = "application/octet-stream";
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return;
        }

        long end = bytes.Length;
        bool cut = false, stall = false;
        if (Interlocked.Exchange(ref cutAfter, -1) is var c and >= 0)
        {
            end = Math.Max(start, c);
            cut = true;
        }
        else if (Interlocked.Exchange(ref stallAfter, -1) is var s and >= 0)
        {
            end = Math.Max(start, s);
            stall = true;
        }

        await ctx.Response.Body.WriteAsync(bytes.AsMemory((int)start, (int)(end - start)));
        await ctx.Response.Body.FlushAsync();
        if (stall)
        {
            Stalled.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        if (cut || stall)
        {
            ctx.Abort();
        }
    }

    private static void NotFound(HttpContext ctx, string? code)
    {
        ctx.Response.StatusCode = 404;
        if (code is not null)
        {
            ctx.Response.Headers["X-Error-Code"] = code;
        }
    }
}
