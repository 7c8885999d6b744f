using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CyLlm.ChatTemplates;
using CyLlm.Engine.Disaggregation;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// The router: a backend that tokenizes locally but generates on workers. Each request gets a fresh bootstrap room
/// and goes to one prefill and one decode worker (round-robin) at once; they meet through the bootstrap registry this
/// router hosts. A failed transfer reaches the client as a 502 <c>kv_transfer_failed</c> error object.
/// Tokens reach the client when the decode worker finishes (no streaming across the hop yet), and logprobs are refused.
/// </summary>
public sealed class DisaggregatedBackend : IInferenceBackend
{
    private readonly IInferenceBackend _local;
    private readonly DisaggregationSettings _settings;
    private readonly HttpClient _http;
    private readonly BootstrapServer _bootstrap;
    private long _nextRoom;
    private int _nextWorker;

    public DisaggregatedBackend(IInferenceBackend local, DisaggregationSettings settings, TimeSpan requestTimeout)
    {
        var bootstrap = settings.Bootstrap ?? throw new ArgumentException("a router needs --bootstrap HOST:PORT");
        _local = local;
        _settings = settings;
        _http = new HttpClient { Timeout = requestTimeout };
        if (settings.WorkerApiKey is { } key)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        _bootstrap = new BootstrapServer(IPAddress.Parse(bootstrap.Host), bootstrap.Port);
        // Room ids are unique per router run: a random high part, a counter below it.
        _nextRoom = (long)((ulong)Random.Shared.NextInt64(1, 1L << 31) << 32);
    }

    /// <summary>Where the bootstrap registry listens (its port when --bootstrap named port 0).</summary>
    public KvEndpoint Bootstrap => _bootstrap.Endpoint;

    public string ModelId => _local.ModelId;

    public int ContextTokens => _local.ContextTokens;

    public int VocabSize => _local.VocabSize;

    public int MaxConcurrency => 64;

    public int[] Encode(string text, bool? addBos = null) => _local.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => _local.Decode(ids);

    public byte[] PieceBytes(int id) => _local.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => _local.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => _local.EncodeChat(messages);

    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken) =>
        GenerateAsync(request, onToken, cancellationToken).GetAwaiter().GetResult();

    private async Task<GenerationResult> GenerateAsync(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken ct)
    {
        var sp = request.Sampling;
        if (request.Adapter is not null)
        {
            throw new ApiError(400, ErrorCodes.InvalidRequest, "LoRA adapters are not served on the disaggregated path. Fix: send the request to a co-located server");
        }

        if (sp.Logprobs || sp.LogitBias is { Count: > 0 } || sp.StopTokenIds.Count > 0 || sp.MinTokens > 0
            || sp.RepetitionPenalty != 1f || sp.PresencePenalty != 0f || sp.FrequencyPenalty != 0f || sp.MinP != 0f)
        {
            throw new ApiError(400, ErrorCodes.InvalidRequest,
                "logprobs, logit_bias, penalties, min_p, min_tokens and stop token ids are not served on the disaggregated path yet. Fix: drop them or use a co-located server");
        }

        int[] prompt = request.PromptTokens is { } ids ? [.. ids] : _local.Encode(request.Prompt, request.AddBos);
        if (prompt.Length == 0)
        {
            throw ApiError.BadRequest("the prompt is empty", "prompt");
        }

        ulong room = (ulong)Interlocked.Increment(ref _nextRoom);
        int w = Interlocked.Increment(ref _nextWorker) & int.MaxValue;
        string prefillUrl = _settings.PrefillWorkers[w % _settings.PrefillWorkers.Count].TrimEnd('/');
        string decodeUrl = _settings.DecodeWorkers[w % _settings.DecodeWorkers.Count].TrimEnd('/');
        var prefill = _http.PostAsJsonAsync($"{prefillUrl}/internal/disaggregation/prefill", new PrefillWorkRequest { BootstrapRoom = room, PromptTokens = prompt }, ct);
        var decode = _http.PostAsJsonAsync($"{decodeUrl}/internal/disaggregation/decode", new DecodeWorkRequest
        {
            BootstrapRoom = room,
            PromptTokens = prompt,
            MaxTokens = sp.MaxTokens,
            Temperature = sp.Temperature,
            TopP = sp.TopP,
            TopK = sp.TopK,
            Seed = sp.Seed,
            IgnoreEos = sp.IgnoreEos,
            Stop = [.. sp.Stop],
        }, ct);
        DecodeWorkResponse result;
        try
        {
            using var response = await decode;
            if (!response.IsSuccessStatusCode)
            {
                throw new ApiError(502, DisaggregationErrors.KvTransferFailed, $"the decode worker {decodeUrl} failed room {room}: {await ErrorMessage(response, ct)}");
            }

            result = await response.Content.ReadFromJsonAsync<DecodeWorkResponse>(ct) ?? throw new JsonException("empty body");
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ApiError(502, DisaggregationErrors.KvTransferFailed, $"the decode worker {decodeUrl} did not answer for room {room}: {ex.Message}. Fix: check that it runs with --role decode");
        }
        finally
        {
            _ = prefill.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
        }

        for (int i = 0; i < result.Pieces.Length && i < result.PieceIds.Length; i++)
        {
            onToken?.Invoke(new GeneratedToken(result.PieceIds[i], result.Pieces[i], default));
        }

        var reason = Enum.TryParse<FinishReason>(result.FinishReason, ignoreCase: true, out var r) ? r : FinishReason.Stop;
        return new GenerationResult(prompt, result.TokenIds, result.Text, reason, [], 0, 0, 0);
    }

    private static async Task<string> ErrorMessage(HttpResponseMessage response, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.GetProperty("error").GetProperty("message").GetString() ?? body;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"HTTP {(int)response.StatusCode}";
        }
    }

    public void Dispose()
    {
        _bootstrap.Dispose();
        _http.Dispose();
        _local.Dispose();
    }
}
