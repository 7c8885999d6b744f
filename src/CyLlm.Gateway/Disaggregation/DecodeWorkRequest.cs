using System.Text.Json.Serialization;

namespace CyLlm.Gateway.Disaggregation;

/// <summary>
/// Router → decode worker: receive the room's KV and generate with these sampling settings; gateway → engine worker
/// (<c>/internal/workers/generate</c>, no bootstrap room): generate co-located with them (the fields of
/// <see cref="CyLlm.Engine.Sampling.SamplingParams"/>; absent fields are neutral, so old routers still work). With
/// <see cref="Stream"/> the worker answers NDJSON lines (<see cref="DecodeStreamLine"/>) as tokens are generated,
/// otherwise one <see cref="DecodeWorkResponse"/> at the end.
/// </summary>
public sealed record DecodeWorkRequest
{
    /// <summary>A streamed request carrying every sampling setting of <paramref name="sp"/> (the grammar by its source);
    /// the router adds its bootstrap room, the engine-worker backend the adapter and priority.</summary>
    public static DecodeWorkRequest From(CyLlm.Engine.Sampling.SamplingParams sp, int[] prompt, long cacheSalt) => new()
    {
        PromptTokens = prompt,
        CacheSalt = cacheSalt,
        MaxTokens = sp.MaxTokens,
        Temperature = sp.Temperature,
        TopP = sp.TopP,
        TopK = sp.TopK,
        MinP = sp.MinP,
        RepetitionPenalty = sp.RepetitionPenalty,
        PresencePenalty = sp.PresencePenalty,
        FrequencyPenalty = sp.FrequencyPenalty,
        LogitBias = sp.LogitBias is { Count: > 0 } bias ? new Dictionary<int, float>(bias) : null,
        Seed = sp.Seed,
        MinTokens = sp.MinTokens,
        IgnoreEos = sp.IgnoreEos,
        RenderSpecialTokens = sp.RenderSpecialTokens,
        Stop = [.. sp.Stop],
        StopTokenIds = [.. sp.StopTokenIds],
        Logprobs = sp.Logprobs,
        TopLogprobs = sp.TopLogprobs,
        Grammar = sp.Grammar is { } grammar ? WorkGrammar.From(grammar.Spec) : null,
        Stream = true,
    };

    // Array fields sent as JSON null read as empty (a clear 400 later), never as a null that would surface as a 500.
    [JsonPropertyName("bootstrap_room")]
    public ulong BootstrapRoom { get; init; }

    [JsonPropertyName("prompt_tokens")]
    public int[] PromptTokens { get => _promptTokens; init => _promptTokens = value ?? []; }

    private readonly int[] _promptTokens = [];

    /// <summary>The tenant's prefix-cache salt, computed by the router (workers hold no key); absent = 0 from old routers.</summary>
    [JsonPropertyName("cache_salt")]
    public long CacheSalt { get; init; }

    [JsonPropertyName("max_tokens")]
    public int MaxTokens { get; init; } = 16;

    [JsonPropertyName("temperature")]
    public float Temperature { get; init; } = 1f;

    [JsonPropertyName("top_p")]
    public float TopP { get; init; } = 1f;

    [JsonPropertyName("top_k")]
    public int TopK { get; init; }

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    [JsonPropertyName("ignore_eos")]
    public bool IgnoreEos { get; init; }

    /// <summary>Write control tokens into the text (the tool-call parser needs markers such as [TOOL_CALLS]).</summary>
    [JsonPropertyName("render_special_tokens")]
    public bool RenderSpecialTokens { get; init; }

    [JsonPropertyName("stop")]
    public string[] Stop { get => _stop; init => _stop = value ?? []; }

    private readonly string[] _stop = [];

    [JsonPropertyName("stop_token_ids")]
    public int[] StopTokenIds { get => _stopTokenIds; init => _stopTokenIds = value ?? []; }

    private readonly int[] _stopTokenIds = [];

    [JsonPropertyName("min_tokens")]
    public int MinTokens { get; init; }

    [JsonPropertyName("min_p")]
    public float MinP { get; init; }

    [JsonPropertyName("repetition_penalty")]
    public float RepetitionPenalty { get; init; } = 1f;

    [JsonPropertyName("presence_penalty")]
    public float PresencePenalty { get; init; }

    [JsonPropertyName("frequency_penalty")]
    public float FrequencyPenalty { get; init; }

    /// <summary>Token id → additive bias (JSON object keys are the ids as strings).</summary>
    [JsonPropertyName("logit_bias")]
    public Dictionary<int, float>? LogitBias { get; init; }

    [JsonPropertyName("logprobs")]
    public bool Logprobs { get; init; }

    [JsonPropertyName("top_logprobs")]
    public int TopLogprobs { get; init; }

    /// <summary>
    /// The structured-output constraint by source (absent: free output). The decode worker samples every generated
    /// token (the prefill worker computes KV only), so it alone enforces it. A worker that does answers with
    /// <see cref="GrammarHeader"/>; an older one ignores the field, and the router refuses its answer.
    /// </summary>
    [JsonPropertyName("grammar")]
    public WorkGrammar? Grammar { get; init; }

    /// <summary>The response header a decode worker sets when it enforced <see cref="Grammar"/>.</summary>
    public const string GrammarHeader = "CyLlm-Grammar";

    /// <summary>Engine workers only (<c>/internal/workers/generate</c>): the LoRA adapter to apply, by the name the worker
    /// loaded it under; null for the base model. A worker without it answers 404 model_not_found.</summary>
    [JsonPropertyName("adapter")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Adapter { get; init; }

    /// <summary>Engine workers only: the request's scheduling priority (lower runs first); null = the worker's default.</summary>
    [JsonPropertyName("priority")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Priority { get; init; }

    /// <summary>Answer <c>application/x-ndjson</c>, one line per token as it is generated, then a final line.</summary>
    [JsonPropertyName("stream")]
    public bool Stream { get; init; }
}
