using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The router: a backend that tokenizes locally but generates on workers. Each request gets a fresh bootstrap room
/// and goes to one prefill and one decode worker at once, chosen by prefix affinity within a load limit (<see cref="WorkerPicker"/>); they meet through the bootstrap registry this
/// router hosts. The decode worker streams NDJSON lines (<see cref="DecodeStreamLine"/>) and each token goes to the
/// generation's channel as its line arrives, so SSE clients of the router see tokens while decoding runs. Every sampling setting
/// is passed through (temperature, top_p/top_k/min_p, the three penalties, logit_bias, seed, min_tokens, stop strings and
/// stop token ids, logprobs/top_logprobs) and a structured-output grammar by its source (<see cref="WorkGrammar"/>; the
/// decode worker samples every generated token, so it alone enforces it); the result carries the per-token logprobs like the local backend's. LoRA
/// adapters are refused (400): the prefill worker would need the same adapter. A failed transfer or a decode worker that
/// fails, before or during the stream, reaches the client as a 502 <c>kv_transfer_failed</c> error object (an SSE error
/// event once the stream began); co-located fallback on transfer failure is the decode worker's (--kv-fallback). A
/// cancelled client request cancels the HTTP call, which aborts the decode worker's request and frees its KV.
/// </summary>
public sealed class DisaggregatedBackend : IInferenceBackend
{
    private readonly IInferenceBackend _local;
    private readonly DisaggregationSettings _settings;
    private readonly HttpClient _http;
    private readonly BootstrapServer? _bootstrap;
    private readonly WorkerPicker _picker;

    public DisaggregatedBackend(IInferenceBackend local, DisaggregationSettings settings, TimeSpan requestTimeout, TimeProvider? time = null)
    {
        if (!settings.HasRegistry)
        {
            throw new ArgumentException("a router needs --bootstrap HOST:PORT or --bootstrap redis://HOST:PORT");
        }

        _local = local;
        _settings = settings;
        _picker = new WorkerPicker(settings.PrefillWorkers, settings.DecodeWorkers, time);
        _http = new HttpClient { Timeout = requestTimeout };
        if (settings.WorkerApiKey is { } key)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        // With the registry in Redis the workers meet there: this router hosts nothing, and any number of routers
        // can front the same workers.
        if (settings.BootstrapRedis is null && settings.Bootstrap is { } bootstrap)
        {
            _bootstrap = new BootstrapServer(IPAddress.Parse(bootstrap.Host), bootstrap.Port, settings.Transfer);
        }
    }

    /// <summary>Where the bootstrap registry listens (its port when --bootstrap named port 0); null when it is in Redis.</summary>
    public KvEndpoint? Bootstrap => _bootstrap?.Endpoint;

    /// <summary>The router's worker choice (tests: down marks).</summary>
    internal WorkerPicker Picker => _picker;

    public string ModelId => _local.ModelId;

    public int ContextTokens => _local.ContextTokens;

    public int VocabSize => _local.VocabSize;

    public int MaxRequestTokens => _local.MaxRequestTokens;

    public int[] Encode(string text, bool? addBos = null) => _local.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _local.Decode(ids);

    public byte[] PieceBytes(int id) => _local.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _local.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _local.EncodeChat(messages);

    public CyLlm.ChatTemplates.Tools.ToolCallDialect ToolDialect => _local.ToolDialect;

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string generationPrefix) =>
        _local.EncodeChat(messages, tools, generationPrefix);

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        if (request.Adapter is not null)
        {
            throw new ApiError(400, ErrorCodes.InvalidRequest, "LoRA adapters are not served on the disaggregated path. Fix: send the request to a co-located server");
        }

        int[] prompt = request.PromptTokens is { } ids ? [.. ids] : _local.Encode(request.Prompt, request.AddBos);
        if (prompt.Length == 0)
        {
            throw ApiError.BadRequest("the prompt is empty", "prompt");
        }

        // The router keeps no queue: the workers' engines do. The request starts at once; tokens go to the channel as
        // the decode worker's lines arrive.
        var tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        return new GenerationStream(tokens.Reader, Task.CompletedTask, RunAsync(request.Sampling, prompt, request.CacheSalt, tokens.Writer, cancellationToken));
    }

    private async Task<GenerationResult> RunAsync(CyLlm.Engine.Sampling.SamplingParams sp, int[] prompt, long cacheSalt, ChannelWriter<GeneratedToken> tokens, CancellationToken ct)
    {
        try
        {
            return await GenerateAsync(sp, prompt, cacheSalt, t => tokens.TryWrite(t), ct);
        }
        finally
        {
            tokens.TryComplete();
        }
    }

    private async Task<GenerationResult> GenerateAsync(CyLlm.Engine.Sampling.SamplingParams sp, int[] prompt, long cacheSalt, Action<GeneratedToken>? onToken, CancellationToken ct)
    {
        ulong room = NewRoom();
        using var workers = _picker.Pick(prompt);
        string prefillUrl = workers.PrefillUrl;
        string decodeUrl = workers.DecodeUrl;
        // A prefill worker that fails (dead process: connection refused or reset; an error answer) would leave the decode
        // worker waiting for KV until the bootstrap timeout (30 s by default). Its failure cancels the decode request at
        // once, so the client gets its 502 as soon as the failure is known, not when the wait runs out.
        using var prefillFailed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        string? prefillError = null;
        var prefill = PostPrefillAsync(new PrefillWorkRequest { BootstrapRoom = room, PromptTokens = prompt, CacheSalt = cacheSalt }, prefillUrl, u => Volatile.Write(ref prefillUrl, u), ct);
        _ = prefill.ContinueWith(
            async t =>
            {
                if (t.IsCanceled || ct.IsCancellationRequested)
                {
                    return;
                }

                string? failure = null;
                try
                {
                    failure = t.IsFaulted ? t.Exception!.GetBaseException().Message
                        : !t.Result.IsSuccessStatusCode ? (await ErrorOf(t.Result, CancellationToken.None).ConfigureAwait(false)).Message
                        : null;
                }
                catch (Exception e) when (e is ObjectDisposedException or IOException or HttpRequestException)
                {
                    failure = $"HTTP {(int)t.Result.StatusCode}"; // the answer was released while its body was read
                }

                if (failure is not null)
                {
                    Volatile.Write(ref prefillError, failure);
                    try
                    {
                        await prefillFailed.CancelAsync().ConfigureAwait(false);
                    }
                    catch (ObjectDisposedException)
                    {
                        // The request already ended; nothing waits any more.
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
        var work = DecodeWorkRequest.From(sp, prompt, cacheSalt) with { BootstrapRoom = room };
        var stream = new DecodeStreamReader(prompt, onToken);
        try
        {
            using var response = await SendDecodeAsync(work, prompt, decodeUrl, u => decodeUrl = u, prefillFailed.Token);
            if (!response.IsSuccessStatusCode)
            {
                var (reason, param) = await ErrorOf(response, ct);
                if (param is not null && param.StartsWith("grammar", StringComparison.Ordinal))
                {
                    // This router compiled the same source before sending it: a worker that cannot is out of step with it.
                    throw new ApiError(502, DisaggregationErrors.GrammarRejected,
                        $"the decode worker {decodeUrl} could not compile the request's grammar ({param}): {reason.TrimEnd('.')}. Fix: run the same CyLlm version on the router and its decode workers");
                }

                throw new ApiError(502, DisaggregationErrors.KvTransferFailed, $"the decode worker {decodeUrl} failed room {room}: {reason}");
            }

            if (work.Grammar is not null && !response.Headers.Contains(DecodeWorkRequest.GrammarHeader))
            {
                // An older worker ignores the grammar field and would return free text as if it were constrained.
                throw new ApiError(502, DisaggregationErrors.GrammarRejected,
                    $"the decode worker {decodeUrl} does not enforce structured outputs (its answer lacks the {DecodeWorkRequest.GrammarHeader} header). Fix: upgrade the decode workers to the router's CyLlm version");
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/x-ndjson")
            {
                // A worker without streaming: one JSON answer at the end.
                var whole = await response.Content.ReadFromJsonAsync<DecodeWorkResponse>(ct) ?? throw new JsonException("empty body");
                return stream.Replay(whole);
            }

            await using var body = await response.Content.ReadAsStreamAsync(prefillFailed.Token);
            using var reader = new StreamReader(body, Encoding.UTF8);
            while (await reader.ReadLineAsync(prefillFailed.Token) is { } line)
            {
                if (stream.Accept(line) is { } error)
                {
                    throw new ApiError(502, DisaggregationErrors.KvTransferFailed,
                        $"the decode worker {decodeUrl} failed room {room} after {stream.Tokens} tokens: {WithFix(error.Message)}");
                }

                if (stream.Result is { } done)
                {
                    return done;
                }
            }

            throw new IOException("the stream ended before its final line");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Volatile.Read(ref prefillError) is { } failure && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            throw new ApiError(502, DisaggregationErrors.KvTransferFailed,
                $"the prefill worker {prefillUrl} failed room {room}: {failure.TrimEnd('.')}. Fix: retry the request (another worker takes it); check that {prefillUrl} runs with --role prefill");
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // Disposing the response closed the connection: the decode worker sees the abort and frees the request's KV.
            return stream.Cancelled();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException or TaskCanceledException)
        {
            string when = stream.Tokens == 0 ? "did not answer" : $"stopped after {stream.Tokens} tokens";
            throw new ApiError(502, DisaggregationErrors.KvTransferFailed, $"the decode worker {decodeUrl} {when} for room {room}: {ex.Message}. Fix: check that it runs with --role decode");
        }
        finally
        {
            _ = prefill.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
        }
    }

    /// <summary>
    /// POSTs the prefill request; a worker whose connection is refused (a dead process: nothing was sent) is marked down
    /// and the next worker for the prompt gets the same room — the decode worker is still waiting for it to be registered.
    /// </summary>
    private async Task<HttpResponseMessage> PostPrefillAsync(PrefillWorkRequest work, string url, Action<string> retried, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await _http.PostAsJsonAsync($"{url}/internal/disaggregation/prefill", work, ct);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError && !ct.IsCancellationRequested)
            {
                _picker.MarkDown(url);
                if (attempt >= _settings.PrefillWorkers.Count || NextWorker(work.PromptTokens, prefill: true) is not { } next || next == url)
                {
                    throw;
                }

                url = next;
                retried(url);
            }
        }
    }

    /// <summary>
    /// Sends the decode request and returns once its headers arrive (the body is read line by line as the decode worker
    /// flushes tokens). A refused connection marks the worker down and the next decode worker for the prompt takes the
    /// same room: nothing reached the dead one, so the room is still unclaimed.
    /// </summary>
    private async Task<HttpResponseMessage> SendDecodeAsync(DecodeWorkRequest work, int[] prompt, string url, Action<string> retried, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, $"{url}/internal/disaggregation/decode") { Content = JsonContent.Create(work) };
            try
            {
                return await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError && !ct.IsCancellationRequested)
            {
                _picker.MarkDown(url);
                if (attempt >= _settings.DecodeWorkers.Count || NextWorker(prompt, prefill: false) is not { } next || next == url)
                {
                    throw;
                }

                url = next;
                retried(url);
            }
        }
    }

    /// <summary>The worker the picker chooses now (the down ones left out). Its lease is released at once: a retry's
    /// load is not counted, which only matters while a worker is failing.</summary>
    private string? NextWorker(int[] prompt, bool prefill)
    {
        using var lease = _picker.Pick(prompt);
        return prefill ? lease.PrefillUrl : lease.DecodeUrl;
    }

    /// <summary>A worker's message with a fix for the client when it has none.</summary>
    private static string WithFix(string message) =>
        message.Contains("Fix:", StringComparison.Ordinal) ? message : $"{message.TrimEnd('.')}. Fix: retry the request; if it persists, check the decode worker's log";

    /// <summary>A worker's error object's message and param (null when it has none).</summary>
    private static async Task<(string Message, string? Param)> ErrorOf(HttpResponseMessage response, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.GetProperty("error");
            string? param = error.TryGetProperty("param", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            return (error.GetProperty("message").GetString() ?? body, param);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ($"HTTP {(int)response.StatusCode}", null);
        }
    }

    /// <summary>A random non-zero 64-bit room id: nobody can predict another request's room from their own.</summary>
    private static ulong NewRoom()
    {
        Span<byte> b = stackalloc byte[8];
        ulong room;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(b);
            room = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
        while (room == 0);

        return room;
    }

    public void Dispose()
    {
        _bootstrap?.Dispose();
        _http.Dispose();
        _local.Dispose();
    }
}
