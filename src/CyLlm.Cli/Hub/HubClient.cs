using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CyLlm.Cli.Hub;

/// <summary>
/// The three Hub HTTP calls a pull needs: the revision's commit and files, a file's metadata (HEAD), and the file's
/// bytes from an offset (GET with <c>Range</c>). Redirects are followed by hand: a HEAD stops at an absolute redirect to another
/// URL (the LFS redirect carries the sha256 in X-Linked-Etag; the CDN's own ETag is not a sha256), and the token is
/// sent only to the endpoint's own host, never to the storage host a download is redirected to.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;

    private readonly HubSettings settings;
    private readonly string endpoint;
    private readonly HttpClient http;

    /// <param name="handler">The HTTP stack (tests pass their own); it must not follow redirects itself.</param>
    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        endpoint = settings.Endpoint.ToString().TrimEnd('/'); // Uri renders a bare host with a trailing '/'
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };

        // No overall timeout: a multi-gigabyte download takes as long as it takes; stalls are caught per read (HubDownloader).
        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("cyllm/1.0");
    }

    public async Task<HubRevision> GetRevisionAsync(HubReference r, CancellationToken ct)
    {
        var uri = new Uri($"{endpoint}/api/models/{r.Repo}/revision/{Uri.EscapeDataString(r.Revision)}");
        using var response = await SendAsync(HttpMethod.Get, uri, null, followToOtherHosts: true, ct).ConfigureAwait(false);
        ThrowIfFailed(response, r, null);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        try
        {
            using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
            string? commit = doc.RootElement.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString() : null;
            if (commit is null || !HubReference.IsCommit(commit))
            {
                throw new HubException("http_error", $"{endpoint} answered the revision of {r.Repo} without a commit sha");
            }

            var files = new List<string>();
            if (doc.RootElement.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in siblings.EnumerateArray())
                {
                    if (s.ValueKind == JsonValueKind.Object && s.TryGetProperty("rfilename", out var name) && name.GetString() is { Length: > 0 } f)
                    {
                        files.Add(f);
                    }
                }
            }

            return new HubRevision(commit, files);
        }
        catch (JsonException e)
        {
            throw new HubException("http_error", $"{endpoint} answered the revision of {r.Repo} with invalid JSON: {e.Message}", e);
        }
    }

    public async Task<HubFileMetadata> GetFileMetadataAsync(HubReference r, string commit, string file, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Head, ResolveUri(r, commit, file), null, followToOtherHosts: false, ct).ConfigureAwait(false);
        if (!IsRedirect(response.StatusCode))
        {
            ThrowIfFailed(response, r, file);
        }

        string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
        etag = etag is null ? null : NormalizeEtag(etag);
        if (etag is null)
        {
            throw new HubException("unverifiable", $"{endpoint} gave no ETag for {file} in {r.Repo}, so its bytes cannot be verified");
        }

        long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked : response.Content.Headers.ContentLength;
        string repoCommit = Header(response, "X-Repo-Commit") is { } c && HubReference.IsCommit(c) ? c : commit;
        return new HubFileMetadata(etag, size, repoCommit);
    }

    /// <summary>
    /// Starts downloading <paramref name="file"/> at <paramref name="offset"/> (a <c>Range: bytes=offset-</c> request when
    /// above 0). The caller reads the body and checks the status: 206 continues, 200 means the server sent the whole file.
    /// </summary>
    public async Task<HttpResponseMessage> DownloadAsync(HubReference r, string commit, string file, long offset, CancellationToken ct)
    {
        var response = await SendAsync(HttpMethod.Get, ResolveUri(r, commit, file), offset > 0 ? offset : null, followToOtherHosts: true, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return response;
        }

        using (response)
        {
            ThrowIfFailed(response, r, file);
            throw new HubException("http_error", $"{endpoint} answered HTTP {(int)response.StatusCode} to the download of {file}");
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The etag without its weak marker and quotes, lower case.</summary>
    public static string NormalizeEtag(string etag)
    {
        string e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal))
        {
            e = e[2..];
        }

        return e.Trim('"').ToLowerInvariant();
    }

    private Uri ResolveUri(HubReference r, string commit, string file) =>
        new($"{endpoint}/{r.Repo}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long? rangeStart, bool followToOtherHosts, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (settings.Token is { } token && IsEndpointHost(uri))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (rangeStart is { } start)
            {
                request.Headers.Range = new RangeHeaderValue(start, null);
            }

            // The real size and sha256 headers, not those of a compressed representation.
            request.Headers.AcceptEncoding.ParseAdd("identity");
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new HubException("unreachable", $"cannot reach {uri.GetLeftPart(UriPartial.Authority)}: {e.Message} (set HF_HUB_OFFLINE=1 to use only the cache)", e);
            }

            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location)
            {
                return response;
            }

            var next = new Uri(uri, location);
            bool sameHost = string.Equals(next.GetLeftPart(UriPartial.Authority), uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
            // A HEAD follows only relative redirects (a renamed repository), as huggingface_hub does: the LFS redirect
            // is absolute and carries the sha256 itself, while the storage host's own ETag is not a sha256.
            if (!followToOtherHosts && (location.IsAbsoluteUri || !sameHost))
            {
                return response;
            }

            response.Dispose();
            if (hop >= MaxRedirects)
            {
                throw new HubException("http_error", $"more than {MaxRedirects} redirects from {uri.GetLeftPart(UriPartial.Path)}");
            }

            uri = next;
        }
    }

    private bool IsEndpointHost(Uri uri) =>
        string.Equals(uri.GetLeftPart(UriPartial.Authority), settings.Endpoint.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private static bool IsRedirect(HttpStatusCode code) => (int)code is 301 or 302 or 303 or 307 or 308;

    private void ThrowIfFailed(HttpResponseMessage response, HubReference r, string? file)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        int status = (int)response.StatusCode;
        string? code = Header(response, "X-Error-Code");
        if (code == "RevisionNotFound")
        {
            throw new HubException("revision_not_found", $"{r.Repo} has no revision '{r.Revision}' on {endpoint}");
        }

        if (code == "RepoNotFound" || (file is null && status == 404))
        {
            // The Hub answers 401 for a repository that does not exist when no token is sent, so both mean "not found".
            throw new HubException("repo_not_found", $"repository {r.Repo} not found on {endpoint}" + (settings.Token is null ? " (if it is private or gated, set HF_TOKEN)" : ""));
        }

        if (code == "EntryNotFound" || status == 404)
        {
            throw new HubException("file_not_found", $"{r.Repo} has no file '{file}' at revision {r.Revision}");
        }

        if (status is 401 or 403)
        {
            throw new HubException("access_denied", $"{endpoint} refused access to {r.Repo} (HTTP {status}): "
                + (settings.Token is null ? "set HF_TOKEN to a token allowed to read it" : "the token in HF_TOKEN may not read it (gated models need their terms accepted on the website)"));
        }

        throw new HubException("http_error", $"{endpoint} answered HTTP {status} for {r.Repo}{(file is null ? "" : "/" + file)}");
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;
}
