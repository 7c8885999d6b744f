using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CyLlm.ChatTemplates;
using CyLlm.ChatTemplates.Tools;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Engine.Scheduling;
using CyLlm.Gateway.Disaggregation;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;
using CyLlm.Gateway.Json;
using Microsoft.Extensions.Logging;

namespace CyLlm.Gateway.Workers;

/// <summary>
/// A model served by remote engine workers (<c>cyllm serve --workers</c>): ordinary <c>cyllm serve</c> processes that
/// run it co-located. This gateway tokenizes and renders chat templates with its own copy of the model (loaded without
/// a KV cache: the single-stream session is created only on a generation, which never runs here) and sends each
/// generation's token ids and every sampling setting — stop strings, logprobs, the structured-output grammar by its
/// source, the adapter's name, the priority — to one worker's <c>/internal/workers/generate</c>, whose NDJSON lines
/// reach the client as they arrive (<see cref="DecodeStreamReader"/>). Tools are parsed here, from the text, as for a
/// local model. The worker is chosen by prefix affinity within a load limit (<see cref="WorkerPool"/>).
/// <para>Failures: a worker whose connection is refused or reset is marked down at once; one the heartbeat marks down
/// cancels its in-flight requests. A request that has sent nothing to its client yet moves to another live worker; one
/// that has gets a 502 <c>worker_failed</c> (an SSE error event once streaming began); none left is a 503
/// <c>no_healthy_workers</c>. An error object from a worker (400, 404 for an adapter it lacks, 429, 503 overloaded) is
/// passed on with its status. Cancelling the client's request aborts the worker's.</para>
/// </summary>
public sealed class RemoteEngineBackend : IInferenceBackend
{
    private readonly IInferenceBackend _local;
    private readonly WorkerPool _pool;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly IReadOnlyDictionary<string, int>? _tenantPriorities;

    /// <param name="local">The gateway's own copy of the model: tokenizer, chat template, summary; it never generates.</param>
    /// <param name="handler">The HTTP handler to the workers (tests); null = sockets.</param>
    /// <param name="tenantPriorities">This gateway's per-tenant default priorities (Gateway:TenantDefaultPriorities):
    /// resolved here, since a worker sees no tenant.</param>
    public RemoteEngineBackend(IInferenceBackend local, WorkerSettings settings, TimeSpan requestTimeout, TimeProvider? time = null, ILogger? log = null, HttpMessageHandler? handler = null, bool startHeartbeat = true, IReadOnlyDictionary<string, int>? tenantPriorities = null)
    {
        _local = local;
        _tenantPriorities = tenantPriorities;
        _requestTimeout = requestTimeout;
        _time = time ?? TimeProvider.System;
        _pool = new WorkerPool(settings, WorkerPool.CreateClient(settings, handler), _time, log);
        if (startHeartbeat)
        {
            _pool.Start();
        }
    }

    /// <summary>The workers and their heartbeat state.</summary>
    public WorkerPool Pool => _pool;

    public string ModelId => _local.ModelId;

    public int ContextTokens => _local.ContextTokens;

    public int VocabSize => _local.VocabSize;

    public int MaxRequestTokens => _local.MaxRequestTokens;

    public CyLlm.Models.ModelSummary? Summary => _local.Summary;

    public int[] Encode(string text, bool? addBos = null) => _local.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _local.Decode(ids);

    public byte[] PieceBytes(int id) => _local.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _local.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _local.EncodeChat(messages);

    public ToolCallDialect ToolDialect => _local.ToolDialect;

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool> tools, string generationPrefix) =>
        _local.EncodeChat(messages, tools, generationPrefix);

    /// <summary>The adapters the live workers reported at their last heartbeat (the union).</summary>
    public IReadOnlyList<string> Adapters =>
        [.. _pool.Workers.Where(w => w.IsUp).SelectMany(w => w.Report?.Adapters ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The workers' engines added up from their last heartbeats (latency percentiles: the worst worker's), so
    /// /status and the alerts see the whole pool; per-worker detail is in <see cref="Workers"/>.</summary>
    public ServingStatus Status => Aggregate([.. _pool.Workers.Where(w => w.IsUp).Select(w => w.Report?.Engine).OfType<ServingStatus>()]);

    /// <summary>Each worker's heartbeat state and load, for /status.</summary>
    public IReadOnlyList<WorkerStatus> Workers => [.. _pool.Workers.Select(w => w.Snapshot())];

    public void LoadAdapter(string name, string path) => throw new ApiError(400, ErrorCodes.InvalidRequest,
        "This gateway serves the model through remote workers and loads no adapters itself. Fix: load the adapter on each worker (POST /v1/load_lora_adapter there); the gateway lists it after the next heartbeat");

    public Task UnloadAdapterAsync(string name) => throw new ApiError(400, ErrorCodes.InvalidRequest,
        "This gateway serves the model through remote workers and holds no adapters itself. Fix: unload the adapter on each worker (POST /v1/unload_lora_adapter there)");

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        int[] prompt = request.PromptTokens is { } ids ? [.. ids] : _local.Encode(request.Prompt, request.AddBos);
        if (prompt.Length == 0)
        {
            throw ApiError.BadRequest("the prompt is empty", "prompt");
        }

        if (request.PromptLogprobs is not null)
        {
            throw ApiError.BadRequest("prompt logprobs (echo with logprobs) are not served through remote workers. Fix: drop logprobs from the echo request, or send it to a worker", "logprobs");
        }

        // Refused before the stream starts, so the client gets the 503 as an answer, not as a stream event.
        if (_pool.Pick(PrefixAffinity.KeyOf(prompt), request.Adapter) is null)
        {
            throw new NoHealthyWorkersException(ModelId, _pool.Workers.Count, null);
        }

        int? priority = request.Priority ?? (request.TenantId is { } tenant && _tenantPriorities?.TryGetValue(tenant, out int p) == true ? p : null);
        var work = WorkOf(request with { Priority = priority }, prompt);
        // Not single-reader: on a failed attempt this backend takes back the tokens nobody has read yet (see RunAsync).
        var tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
        return new GenerationStream(tokens.Reader, Task.CompletedTask, RunAsync(work, prompt, request.Adapter, tokens, cancellationToken));
    }

    private static DecodeWorkRequest WorkOf(GenerationRequest request, int[] prompt) =>
        DecodeWorkRequest.From(request.Sampling, prompt, request.CacheSalt) with { Adapter = request.Adapter, Priority = request.Priority };

    /// <summary>
    /// Tries live workers in affinity order until one answers. A failed attempt is retried only when nothing of it
    /// reached the client: its tokens are taken back out of the channel, and if all of them still were there (a
    /// non-streaming request never reads them; a streaming one may not have yet), the next worker starts afresh.
    /// </summary>
    private async Task<GenerationResult> RunAsync(DecodeWorkRequest work, int[] prompt, string? adapter, Channel<GeneratedToken> tokens, CancellationToken ct)
    {
        try
        {
            ulong key = PrefixAffinity.KeyOf(prompt);
            var tried = new HashSet<RemoteWorker>();
            string? lastFailure = null;
            while (true)
            {
                var worker = _pool.Pick(key, adapter, w => !tried.Contains(w))
                    ?? throw new NoHealthyWorkersException(ModelId, _pool.Workers.Count, lastFailure);
                tried.Add(worker);
                int emitted = 0;
                try
                {
                    return await AttemptAsync(worker, work, prompt, t =>
                    {
                        emitted++;
                        tokens.Writer.TryWrite(t);
                    }, ct);
                }
                catch (WorkerUnavailableException e)
                {
                    if (TakeBack(tokens.Reader) != emitted)
                    {
                        throw new ApiError(502, WorkerErrors.WorkerFailed,
                            $"{e.Message} after part of the answer was sent. Fix: retry the request (another worker takes it)");
                    }

                    // Nothing reached the client: the next live worker takes the request from the start.
                    lastFailure = e.Message;
                    _pool.CountFailover(worker);
                }
            }
        }
        finally
        {
            tokens.Writer.TryComplete();
        }
    }

    /// <summary>Removes the tokens still waiting in the channel; returns how many.</summary>
    private static int TakeBack(ChannelReader<GeneratedToken> reader)
    {
        int n = 0;
        while (reader.TryRead(out _))
        {
            n++;
        }

        return n;
    }

    /// <summary>One try on one worker. Throws <see cref="WorkerUnavailableException"/> when the worker is gone (retryable
    /// by the caller), <see cref="ApiError"/> for an answer to pass on; returns the cancelled result when
    /// <paramref name="ct"/> fires.</summary>
    private async Task<GenerationResult> AttemptAsync(RemoteWorker worker, DecodeWorkRequest work, int[] prompt, Action<GeneratedToken> onToken, CancellationToken ct)
    {
        using var lease = worker.Acquire();
        using var timer = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, worker.DownToken, timer.Token);
        var stream = new DecodeStreamReader(prompt, onToken);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, $"{worker.Url}{WorkerRoutes.Prefix}/generate") { Content = JsonContent.Create(work, options: GatewayJson.Options) };
            using var response = await _pool.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw await PassOnAsync(worker, response, linked.Token);
            }

            if (work.Grammar is not null && !response.Headers.Contains(DecodeWorkRequest.GrammarHeader))
            {
                throw new ApiError(502, DisaggregationErrors.GrammarRejected,
                    $"the worker {worker.Url} does not enforce structured outputs (its answer lacks the {DecodeWorkRequest.GrammarHeader} header). Fix: run the same CyLlm version on the gateway and its workers");
            }

            await using var body = await response.Content.ReadAsStreamAsync(linked.Token);
            using var reader = new StreamReader(body, Encoding.UTF8);
            while (await reader.ReadLineAsync(linked.Token) is { } line)
            {
                if (stream.Accept(line) is { } error)
                {
                    // The worker's engine failed after its first line: its error object, as a co-located server's.
                    int status = error.Type == "server_error" ? 502 : 400;
                    throw new ApiError(status, status == 502 ? WorkerErrors.WorkerFailed : error.Code,
                        $"the worker {worker.Url} failed after {stream.Tokens} tokens: {error.Message}", error.Param);
                }

                if (stream.Result is { } done)
                {
                    return done;
                }
            }

            throw new IOException("the answer ended before its final line");
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
        {
            // Disposing the response closed the connection: the worker sees the abort and cancels the request.
            return stream.Cancelled();
        }
        catch (Exception e) when (worker.DownToken.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
        {
            throw new WorkerUnavailableException(worker.Url, $"was marked down ({worker.Snapshot().LastError ?? "missed heartbeats"})", e);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            throw new ApiError(504, ErrorCodes.Timeout, $"the worker {worker.Url} took longer than the total request timeout of {_requestTimeout.TotalSeconds:0.###} s. Fix: ask for fewer tokens (max_tokens)");
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            // No answer at all: refused, reset, unreachable. The worker is dead for now; the heartbeat brings it back.
            _pool.ReportDead(worker, e.Message);
            throw new WorkerUnavailableException(worker.Url, $"did not answer ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            // The connection broke mid-answer (a killed worker resets it) or the answer was not a stream.
            if (e is IOException)
            {
                _pool.ReportDead(worker, e.Message);
            }

            throw new WorkerUnavailableException(worker.Url, stream.Tokens == 0 ? $"failed before its first token ({e.Message})" : $"stopped after {stream.Tokens} tokens ({e.Message})", e);
        }
    }

    /// <summary>A worker's error answer as the client's error: its status and error object, a 5xx other than 503/504 as
    /// a 502 <c>worker_failed</c>.</summary>
    private static async Task<ApiError> PassOnAsync(RemoteWorker worker, HttpResponseMessage response, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        string body = await response.Content.ReadAsStringAsync(ct);
        string message = $"HTTP {status}";
        string? code = null, param = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.GetProperty("error");
            message = error.GetProperty("message").GetString() ?? message;
            code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            param = error.TryGetProperty("param", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not an error object (a proxy's page): the status says enough.
        }

        if (status is 401 or 403)
        {
            return new ApiError(502, WorkerErrors.WorkerFailed, $"the worker {worker.Url} refused this gateway's key: {message.TrimEnd('.')}. Fix: give the gateway a worker-scope key of the worker's store (--worker-api-key)");
        }

        if (status >= 500 && status is not 503 and not 504)
        {
            return new ApiError(502, WorkerErrors.WorkerFailed, $"the worker {worker.Url} failed: {message}");
        }

        if (param is not null && param.StartsWith("grammar", StringComparison.Ordinal))
        {
            return new ApiError(502, DisaggregationErrors.GrammarRejected,
                $"the worker {worker.Url} could not compile the request's grammar ({param}): {message.TrimEnd('.')}. Fix: run the same CyLlm version on the gateway and its workers");
        }

        return new ApiError(status, code ?? ErrorCodes.TypeFor(status), message, param == "prompt_tokens" ? null : param);
    }

    /// <summary>
    /// One input's embedding from a worker (least loaded first, another on a dead connection). Synchronous because the
    /// interface is: the gateway calls it on <see cref="EmbeddingGate"/>'s dedicated thread, where blocking on
    /// <see cref="HttpClient.Send(HttpRequestMessage)"/> holds no request thread.
    /// </summary>
    public float[] Embed(int[] tokens)
    {
        var tried = new HashSet<RemoteWorker>();
        string? lastFailure = null;
        while (_pool.Pick(PrefixAffinity.KeyOf(tokens), allowed: w => !tried.Contains(w)) is { } worker)
        {
            tried.Add(worker);
            using var lease = worker.Acquire();
            using var cts = new CancellationTokenSource(_requestTimeout, _time);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, $"{worker.Url}{WorkerRoutes.Prefix}/embed")
                {
                    Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new EmbedWorkRequest { Tokens = tokens }, GatewayJson.Options)),
                };
                message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = _pool.Http.Send(message, HttpCompletionOption.ResponseContentRead, cts.Token);
                if (!response.IsSuccessStatusCode)
                {
                    throw PassOnAsync(worker, response, cts.Token).GetAwaiter().GetResult(); // the body is already buffered
                }

                using var body = response.Content.ReadAsStream(cts.Token);
                return (JsonSerializer.Deserialize<EmbedWorkResponse>(body, GatewayJson.Options) ?? new EmbedWorkResponse()).Embedding;
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                _pool.ReportDead(worker, e.Message);
                lastFailure = $"the worker {worker.Url} did not answer ({e.Message})";
            }
            catch (IOException e)
            {
                _pool.ReportDead(worker, e.Message);
                lastFailure = $"the worker {worker.Url} broke the connection ({e.Message})";
            }
        }

        throw new NoHealthyWorkersException(ModelId, _pool.Workers.Count, lastFailure);
    }

    private static ServingStatus Aggregate(IReadOnlyList<ServingStatus> engines)
    {
        static LatencyPercentiles Worst(IEnumerable<LatencyPercentiles> all)
        {
            var list = all.ToList();
            return list.Count == 0 ? default : new LatencyPercentiles(list.Sum(p => p.Samples), list.Max(p => p.P50), list.Max(p => p.P95), list.Max(p => p.P99));
        }

        int used = engines.Sum(e => e.UsedBlocks), total = engines.Sum(e => e.TotalBlocks);
        long queries = engines.Sum(e => e.PrefixQueries), hits = engines.Sum(e => e.PrefixHits);
        return new ServingStatus
        {
            Running = engines.Sum(e => e.Running),
            Waiting = engines.Sum(e => e.Waiting),
            UsedBlocks = used,
            TotalBlocks = total,
            KvUsage = total == 0 ? 0 : (double)used / total,
            PrefixQueries = queries,
            PrefixHits = hits,
            PrefixHitRate = queries == 0 ? 0 : (double)hits / queries,
            Preemptions = engines.Sum(e => e.Preemptions),
            QueueTime = Worst(engines.Select(e => e.QueueTime)),
            TimeToFirstToken = Worst(engines.Select(e => e.TimeToFirstToken)),
            InterTokenLatency = Worst(engines.Select(e => e.InterTokenLatency)),
            EndToEnd = Worst(engines.Select(e => e.EndToEnd)),
            SchedulerOverhead = Worst(engines.Select(e => e.SchedulerOverhead)),
        };
    }

    public void Dispose()
    {
        _pool.Dispose();
        _pool.Http.Dispose();
        _local.Dispose();
    }
}
