using System.Text;
using System.Text.Json;
using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Idempotency;
using CyLlm.Jobs.Batches;
using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Files;
using CyLlm.Jobs.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace CyLlm.Gateway.Endpoints.Files;

/// <summary>
/// POST /v1/files: multipart/form-data with <c>file</c> and <c>purpose</c> (<c>batch</c> or <c>fine-tune</c>). The bytes are
/// streamed to <c>DATA/files/&lt;id&gt;</c> with <see cref="AtomicFile"/> (never buffered whole), limited by
/// <see cref="GatewayOptions.MaxUploadBytes"/> instead of the JSON body limit; JSONL content is validated there, a bad
/// file is refused with the line at fault, and a good one is moved to the file storage (<c>--file-storage</c>: into the
/// store, streamed in chunks, so every replica serves it) before it is registered.
/// </summary>
public static class FileUploadHandler
{
    /// <summary>Purposes accepted for uploads (<c>batch_output</c> is made by batches only).</summary>
    public static readonly IReadOnlyList<string> Purposes = ["batch", "fine-tune"];

    public const int MaxFileNameLength = 255;

    /// <summary>Multipart framing (boundaries, part headers, the purpose field) allowed on top of the file's bytes.</summary>
    private const long FramingAllowance = 64 << 10;

    private const int MaxFieldBytes = 1024;

    /// <summary>Oversized uploads up to this size are read to the end before the 413 goes out.</summary>
    private const long DrainLimitBytes = 32L << 20;

    /// <summary>Most requests in one batch input file (OpenAI's limit, as <see cref="BatchRunnerOptions.MaxRequests"/>).</summary>
    public const int MaxBatchRequests = 50_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<IResult> HandleAsync(HttpContext ctx)
    {
        var state = ctx.RequestServices.GetRequiredService<GatewayState>();
        var caller = ctx.RequireScope(AuthScopes.Inference);
        _ = IdempotencyKeys.ReadKey(ctx);
        long maxUpload = state.Options.MaxUploadBytes;
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // Kestrel's global limit follows the JSON body limit; uploads have their own.
            limit.MaxRequestBodySize = maxUpload + FramingAllowance;
        }

        if (ctx.Request.ContentLength is long declared && declared > maxUpload + FramingAllowance)
        {
            throw TooLarge(maxUpload);
        }

        string boundary = Boundary(ctx.Request.ContentType);
        string id = FileIds.New();
        var contents = state.StoreHost.Contents;
        string path = contents.Local.PathOf(id);
        StoredContent? stored = null;
        string? purpose = null;
        string? fileName = null;
        AtomicWriteResult? written = null;
        bool registered = false;
        try
        {
            var reader = new MultipartReader(boundary, ctx.Request.Body) { HeadersLengthLimit = 16 << 10, BodyLengthLimit = null };
            // Part sizes are limited by LimitedReadStream (413) and the whole body by Kestrel; the reader's own 128 MiB default would cut uploads short.
            MultipartSection? section;
            while ((section = await ReadSectionAsync(reader, ctx.RequestAborted)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd) || !cd.DispositionType.Equals("form-data"))
                {
                    throw ApiError.BadRequest("Every multipart part needs a Content-Disposition: form-data header");
                }

                string name = cd.Name.Value?.Trim('"') ?? "";
                switch (name)
                {
                    case "purpose" when purpose is null:
                        purpose = await ReadFieldAsync(section.Body, ctx.RequestAborted);
                        break;
                    case "file" when written is null:
                        fileName = CheckFileName(cd.FileNameStar.HasValue ? cd.FileNameStar.Value : cd.FileName.Value?.Trim('"'));
                        written = await WriteAsync(path, new LimitedReadStream(section.Body, maxUpload, () => new ApiError(413, ErrorCodes.RequestTooLarge, $"The upload is larger than the {maxUpload}-byte limit. Fix: {UploadFix}")), ctx.RequestAborted);
                        break;
                    case "purpose" or "file":
                        throw ApiError.BadRequest($"The form field '{name}' appears more than once", name);
                    default:
                        throw ApiError.Unsupported(name);
                }
            }

            if (written is null)
            {
                throw ApiError.BadRequest("The form field 'file' is missing", "file");
            }

            if (purpose is null || !Purposes.Contains(purpose))
            {
                throw ApiError.BadRequest(purpose is null
                    ? "The form field 'purpose' is missing; it must be one of " + string.Join(", ", Purposes)
                    : $"purpose must be one of {string.Join(", ", Purposes)} (got '{Trim(purpose)}')", "purpose");
            }

            Validate(path, purpose);
            stored = await PromoteAsync(contents, id, ctx.RequestAborted);
            var record = new FileRecord(id, caller.TenantId, purpose, fileName!, stored.SizeBytes, stored.Sha256, stored.Path, state.Time.GetUtcNow());
            string hash = IdempotencyKeys.HashOf(ctx, $"{purpose}\n{fileName}\n{written.Sha256}");
            var outcome = await IdempotencyKeys.RunAsync(ctx, state, hash, async ct =>
            {
                await state.Store.AddFileAsync(record, ct);
                registered = true;
                return (200, IdempotencyKeys.Json(FileObject.From(record)));
            });
            if (outcome.Replayed)
            {
                // The first request's file is the answer; these bytes are a duplicate.
                await DiscardAsync(contents, id, path, stored);
            }

            return IdempotencyKeys.ToResult(ctx, outcome);
        }
        catch (ApiError e) when (e.Status == 413 && !registered)
        {
            await DiscardAsync(contents, id, path, stored);
            await DrainAsync(ctx);
            throw;
        }
        catch when (!registered)
        {
            // Nothing points at these bytes (a refused, replayed or failed upload).
            await DiscardAsync(contents, id, path, stored);
            throw;
        }
    }

    /// <summary>Moves the validated upload to the file storage; a store that cannot take it now is a 503 (retry later).</summary>
    private static async Task<StoredContent> PromoteAsync(FileContents contents, string id, CancellationToken ct)
    {
        try
        {
            return await contents.PromoteAsync(id, ct);
        }
        catch (JobStoreException e)
        {
            throw new ApiError(503, ErrorCodes.ServerOverloaded, $"The server could not store the file in its store ({e.Message}). Fix: retry later; if it persists, tell the operator");
        }
    }

    /// <summary>Removes bytes no row points at: the staged local copy and, once promoted, the stored one (best effort).</summary>
    private static async Task DiscardAsync(FileContents contents, string id, string path, StoredContent? stored)
    {
        FileContents.DeleteLocalPath(path);
        if (stored is not null && stored.Path != path)
        {
            try
            {
                await contents.DeleteAsync(new FileRecord(id, "", "", "", stored.SizeBytes, stored.Sha256, stored.Path, default), CancellationToken.None);
            }
            catch (Exception e) when (e is JobStoreException or IOException or System.Data.Common.DbException)
            {
                // An orphaned blob is harmless (no row points at it); it costs space until deleted by hand.
            }
        }
    }

    /// <summary>
    /// Reads (and drops) the rest of a moderately oversized upload before the 413 is sent: a client still sending would
    /// otherwise see a broken pipe instead of the error. Bodies beyond <see cref="DrainLimitBytes"/> are cut off.
    /// </summary>
    private static async Task DrainAsync(HttpContext ctx)
    {
        byte[] buffer = new byte[64 << 10];
        long drained = 0;
        try
        {
            int n;
            while (drained < DrainLimitBytes && (n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
            {
                drained += n;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client went away or Kestrel's own limit ended the body; the 413 is sent if it can be.
        }
    }

    private static async Task<MultipartSection?> ReadSectionAsync(MultipartReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not BadHttpRequestException)
        {
            throw ApiError.BadRequest($"The multipart body is malformed ({e.Message})");
        }
    }

    private static async Task<AtomicWriteResult> WriteAsync(string path, Stream content, CancellationToken ct)
    {
        try
        {
            return await AtomicFile.WriteAsync(path, content, ct);
        }
        catch (AtomicWriteException e) when (e.InnerException is not BadHttpRequestException)
        {
            throw new ApiError(503, ErrorCodes.ServerOverloaded, $"The server could not store the file ({e.Message}). Fix: retry later; if it persists, the operator must free disk space in the data folder");
        }
        catch (AtomicWriteException e) when (e.InnerException is BadHttpRequestException b)
        {
            throw b;
        }
        catch (InvalidDataException e)
        {
            throw ApiError.BadRequest($"The multipart body is malformed ({e.Message})", "file");
        }
    }

    private static string Boundary(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mt) || !mt.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiError.BadRequest("Uploads must be multipart/form-data with the fields 'file' and 'purpose'");
        }

        string boundary = HeaderUtilities.RemoveQuotes(mt.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 200)
        {
            throw ApiError.BadRequest("The multipart/form-data content type has no valid boundary");
        }

        return boundary;
    }

    private static async Task<string> ReadFieldAsync(Stream body, CancellationToken ct)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        int total = 0, n;
        while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), ct)) > 0)
        {
            total += n;
        }

        if (total > MaxFieldBytes)
        {
            throw ApiError.BadRequest($"The form field 'purpose' is longer than {MaxFieldBytes} bytes", "purpose");
        }

        try
        {
            return StrictUtf8.GetString(buffer, 0, total).Trim();
        }
        catch (DecoderFallbackException)
        {
            throw ApiError.BadRequest("The form field 'purpose' is not UTF-8 text", "purpose");
        }
    }

    private static string CheckFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw ApiError.BadRequest("The 'file' part needs a filename in its Content-Disposition header", "file");
        }

        if (name.Length > MaxFileNameLength)
        {
            throw ApiError.BadRequest($"The file name is longer than {MaxFileNameLength} characters", "file");
        }

        for (int i = 0; i < name.Length; i++)
        {
            // A surrogate pair is one character (an emoji, CJK extension B); only a lone half is malformed.
            if (char.IsSurrogatePair(name, i))
            {
                i++;
            }
            else if (char.IsControl(name[i]) || char.IsSurrogate(name[i]))
            {
                throw ApiError.BadRequest("The file name contains control characters or unpaired surrogates", "file");
            }
        }

        return name;
    }

    /// <summary>
    /// Checks JSONL content: UTF-8, one JSON object per line; for <c>batch</c>, the request lines of a batch input.
    /// Lines are read and checked one at a time and none is kept, so memory stays bounded by the longest line (a
    /// 512 MiB file of newlines must not become hundreds of millions of strings in a list).
    /// </summary>
    internal static void Validate(string path, string purpose)
    {
        try
        {
            if (purpose == "batch")
            {
                _ = BatchInput.Validate(Lines(path), endpoint: null, maxRequests: MaxBatchRequests);
                return;
            }

            CheckJsonObjects(Lines(path));
        }
        catch (DecoderFallbackException)
        {
            throw ApiError.BadRequest("The file is not UTF-8 text; batch and fine-tune files are JSONL (one JSON object per line)", "file");
        }
        catch (BatchInputException e)
        {
            throw ApiError.BadRequest($"The {purpose} file is invalid: {e.Message}", "file");
        }
    }

    /// <summary>The file's lines, decoded strictly as they are read, with a leading byte order mark removed.</summary>
    private static IEnumerable<string> Lines(string path)
    {
        bool first = true;
        foreach (string line in File.ReadLines(path, StrictUtf8))
        {
            yield return first && line.Length > 0 && line[0] == '\uFEFF' ? line[1..] : line;
            first = false;
        }
    }

    /// <summary>The most bad rows a fine-tune upload's error lists in <c>error.row_errors</c>; the rest are counted.</summary>
    public const int MaxRowErrors = 50;

    /// <summary>
    /// Reads the whole file and lists every line that is not a JSON object (the first <see cref="MaxRowErrors"/>,
    /// counting the rest), so one upload tells the user every row to fix. The message names the first bad line, as
    /// before, on one line; the list goes to <see cref="ApiError.RowErrors"/>.
    /// </summary>
    private static void CheckJsonObjects(IEnumerable<string> lines)
    {
        int count = 0;
        long bad = 0;
        var errors = new List<RowError>();
        int i = -1;
        foreach (string line in lines)
        {
            i++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            RowError? error = null;
            try
            {
                using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 64 });
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    error = new RowError(i + 1, null, "expected a JSON object");
                }
            }
            catch (JsonException e)
            {
                error = new RowError(i + 1, JsonErrorPath.Of(line), $"not valid JSON ({e.Message})");
            }

            if (error is null)
            {
                count++;
                continue;
            }

            bad++;
            if (errors.Count < MaxRowErrors)
            {
                errors.Add(error);
            }
        }

        if (bad > 0)
        {
            var first = errors[0];
            string more = bad > 1 ? $" (and {bad - 1} more bad lines; error.row_errors lists the first {errors.Count})" : string.Empty;
            throw new ApiError(400, ErrorCodes.InvalidRequest, $"The fine-tune file is invalid: line {first.Line}: {first.Message}{more}. Fix: make every line one JSON object", "file")
            {
                RowErrors = errors,
            };
        }

        if (count == 0)
        {
            throw new BatchInputException(0, "the file has no JSON lines");
        }
    }

    private static ApiError TooLarge(long max) => new(413, ErrorCodes.RequestTooLarge, $"The upload is larger than the {max}-byte limit. Fix: {UploadFix}");

    private const string UploadFix = "split the file, or raise --max-upload-bytes on the server";

    private static string Trim(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
