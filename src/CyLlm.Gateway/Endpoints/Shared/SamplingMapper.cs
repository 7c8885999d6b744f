using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;
using CyLlm.Gateway.Errors;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>Checks the shared fields and turns them into the engine's <see cref="SamplingParams"/>.</summary>
public static class SamplingMapper
{
    public const int MaxStops = 16;
    public const int MaxStopLength = 256;

    /// <summary>Most logit_bias entries (OpenAI documents no bound; each entry costs work per sampled token).</summary>
    public const int MaxLogitBias = 1024;

    /// <summary>Most chat messages in one request.</summary>
    public const int MaxMessages = 2048;

    /// <summary>Most stop_token_ids entries.</summary>
    public const int MaxStopTokenIds = 256;

    /// <summary>Rejects unknown fields and the values the engine cannot honour.</summary>
    public static void CheckCommon(SamplingRequest r)
    {
        if (r.Extra is { Count: > 0 })
        {
            throw ApiError.Unsupported(r.Extra.Keys.First());
        }

        if (r.StreamOptions is { } so)
        {
            if (so.Extra is { Count: > 0 })
            {
                throw ApiError.Unsupported("stream_options." + so.Extra.Keys.First());
            }

            if (r.Stream != true)
            {
                throw ApiError.BadRequest("stream_options is only allowed when stream is true", "stream_options");
            }
        }

        if (r.N is { } n && n < 1)
        {
            throw ApiError.BadRequest($"n must be at least 1 (got {n})", "n");
        }

        CheckListSizes(r.LogitBias?.Count ?? 0, r.StopTokenIds?.Count ?? 0);

        if (r.Stop is { } stops)
        {
            if (stops.Count > MaxStops)
            {
                throw ApiError.BadRequest($"stop has {stops.Count} entries; at most {MaxStops} are allowed", "stop");
            }

            foreach (var s in stops)
            {
                if (s.Length == 0 || s.Length > MaxStopLength)
                {
                    throw ApiError.BadRequest($"each stop string must have 1 to {MaxStopLength} characters", "stop");
                }
            }
        }
    }

    /// <summary>logit_bias and stop_token_ids within their size limits (400 naming the field).</summary>
    public static void CheckListSizes(int logitBiasEntries, int stopTokenIds)
    {
        if (logitBiasEntries > MaxLogitBias)
        {
            throw ApiError.BadRequest($"logit_bias has {logitBiasEntries} entries; at most {MaxLogitBias} are allowed", "logit_bias");
        }

        if (stopTokenIds > MaxStopTokenIds)
        {
            throw ApiError.BadRequest($"stop_token_ids has {stopTokenIds} entries; at most {MaxStopTokenIds} are allowed", "stop_token_ids");
        }
    }

    /// <summary>Every stop token id inside a vocabulary of <paramref name="vocab"/> tokens.</summary>
    public static void CheckStopTokenIds(IEnumerable<int> ids, int vocab)
    {
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)vocab)
            {
                throw ApiError.BadRequest($"stop_token_ids contains {id}, outside the vocabulary (0..{vocab - 1})", "stop_token_ids");
            }
        }
    }

    /// <summary>The 400 for a logit_bias key that is not a token id of this model.</summary>
    public static ApiError LogitBiasKeyError(string key, int vocab) =>
        ApiError.BadRequest($"logit_bias key '{key}' is not a token id of this model (0..{vocab - 1})", "logit_bias");

    /// <summary>The 400 for a <see cref="SamplingParams.Validate"/> message, naming the parameter it starts with.</summary>
    public static ApiError InvalidSampling(string error)
    {
        int space = error.IndexOf(' ');
        return ApiError.BadRequest(error, space > 0 ? error[..space] : error);
    }

    /// <summary>
    /// Builds the engine request for <paramref name="prompt"/> tokens; checks the context
    /// (400 context_length_exceeded) and every sampling range (400 naming the parameter).
    /// </summary>
    /// <param name="grammar">The structured-output constraint (<see cref="StructuredOutput.Resolve"/>), or null.</param>
    public static GenerationRequest Build(SamplingRequest r, IInferenceBackend backend, int[] prompt, int? maxTokens, bool logprobs, int topLogprobs, CyLlm.Engine.Sampling.Grammars.Grammar? grammar = null, bool allowZeroMaxTokens = false)
    {
        if (maxTokens is <= 0 && !(maxTokens == 0 && allowZeroMaxTokens))
        {
            // 0 only scores a prompt: completions with echo (the caller allows it); a chat answer needs a token.
            throw ApiError.BadRequest($"max_tokens must be at least 1 (got {maxTokens}); 0, which generates nothing, is only meaningful with echo on /v1/completions (to score the prompt)", "max_tokens");
        }

        int ctx = backend.ContextTokens;
        int room = ctx - Math.Max(1, prompt.Length);
        if (room < 1)
        {
            throw new ApiError(400, ErrorCodes.ContextLengthExceeded,
                $"This model's maximum context length is {ctx} tokens, but the prompt has {prompt.Length} tokens. Fix: shorten the prompt or the messages", "messages");
        }

        if (maxTokens is { } mt && mt > room)
        {
            throw new ApiError(400, ErrorCodes.ContextLengthExceeded,
                $"This model's maximum context length is {ctx} tokens; the prompt has {prompt.Length} tokens and max_tokens asks for {mt}. Fix: lower max_tokens to at most {room} or shorten the prompt", "max_tokens");
        }

        Dictionary<int, float>? bias = null;
        if (r.LogitBias is { } lb)
        {
            bias = new Dictionary<int, float>(lb.Count);
            foreach (var (key, value) in lb)
            {
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id >= backend.VocabSize)
                {
                    throw LogitBiasKeyError(key, backend.VocabSize);
                }

                bias[id] = value;
            }
        }

        if (r.StopTokenIds is { } sti)
        {
            CheckStopTokenIds(sti, backend.VocabSize);
        }

        var sp = new SamplingParams
        {
            Temperature = r.Temperature ?? 1f,
            TopP = r.TopP ?? 1f,
            TopK = r.TopK ?? 0,
            MinP = r.MinP ?? 0f,
            RepetitionPenalty = r.RepetitionPenalty ?? 1f,
            PresencePenalty = r.PresencePenalty ?? 0f,
            FrequencyPenalty = r.FrequencyPenalty ?? 0f,
            LogitBias = bias,
            Seed = r.Seed,
            // Omitted: as much as the context and the KV cache leave (llama-server and vLLM do the same). A prompt
            // alone larger than the cache keeps 1, so the engine refuses it with the sizes (400), not a 500.
            MaxTokens = maxTokens ?? Math.Max(1, Math.Min(room, backend.MaxRequestTokens - prompt.Length)),
            MinTokens = r.MinTokens ?? 0,
            Stop = r.Stop ?? [],
            StopTokenIds = r.StopTokenIds ?? [],
            IgnoreEos = r.IgnoreEos ?? false,
            Logprobs = logprobs,
            TopLogprobs = topLogprobs,
            Grammar = grammar,
        };
        if (sp.Validate() is { } error)
        {
            throw InvalidSampling(error);
        }

        return new GenerationRequest { PromptTokens = prompt, Sampling = sp, Priority = r.Priority };
    }

    /// <summary>The number of choices asked for, within <paramref name="max"/> (Gateway:MaxChoices); 400 naming the field beyond.</summary>
    public static int Choices(int? n, int max, string field = "n")
    {
        int value = n ?? 1;
        if (value < 1 || value > max)
        {
            throw ApiError.BadRequest($"{field} must be between 1 and {max} (got {value}); the server's limit is Gateway:MaxChoices", field);
        }

        return value;
    }

    public static string FinishReasonName(FinishReason f) => f == FinishReason.Length ? "length" : "stop";
}
