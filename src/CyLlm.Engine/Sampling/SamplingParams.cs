namespace CyLlm.Engine.Sampling;

/// <summary>
/// How the next token is chosen, with the semantics of the OpenAI API and vLLM's extras. Defaults are neutral
/// (temperature 1, every filter off). Temperature 0 means greedy.
/// </summary>
public sealed record SamplingParams
{
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep the K most likely tokens; 0 or less disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set whose probability mass reaches P; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens whose probability is below MinP × the top probability; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>HF/vLLM repetition penalty over prompt and output tokens (&gt; 1 discourages); 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>OpenAI presence penalty (subtracted once from every token already generated).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty (subtracted per occurrence in the generated text).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Additive biases per token id (OpenAI logit_bias; −100 bans, +100 forces).</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Seed for reproducible sampling; null draws one.</summary>
    public long? Seed { get; init; }

    public int MaxTokens { get; init; } = 256;

    /// <summary>Generation may not stop (on EOS or stop ids) before this many tokens.</summary>
    public int MinTokens { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past the model's end-of-generation tokens.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>
    /// Put the text of control tokens in the output (end-of-generation tokens still end it unwritten). Tool-call
    /// parsing needs it: Llama 3's &lt;|python_tag|&gt; and Mistral's [TOOL_CALLS] / [ARGS] are control tokens.
    /// </summary>
    public bool RenderSpecialTokens { get; init; }

    /// <summary>Return the chosen token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Also return this many most likely alternatives per position (0–20).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Structured output: the compiled grammar the output must follow (json_schema, json_object, guided_*);
    /// null leaves the output free. Compiled grammars are immutable and shared.</summary>
    public CyLlm.Engine.Sampling.Grammars.Grammar? Grammar { get; init; }

    public bool IsGreedy => Temperature <= 0f;

    /// <summary>Validates ranges; returns an error message naming the parameter, or null.</summary>
    public string? Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0 || Temperature > 2)
        {
            return "temperature must be between 0 and 2";
        }

        if (float.IsNaN(TopP) || TopP <= 0 || TopP > 1)
        {
            return "top_p must be in (0, 1]";
        }

        if (float.IsNaN(MinP) || MinP < 0 || MinP > 1)
        {
            return "min_p must be in [0, 1]";
        }

        if (TopK < -1)
        {
            return "top_k must be -1 (disabled) or a positive number";
        }

        if (float.IsNaN(RepetitionPenalty) || RepetitionPenalty <= 0 || RepetitionPenalty > 10)
        {
            return "repetition_penalty must be in (0, 10]";
        }

        if (float.IsNaN(PresencePenalty) || PresencePenalty < -2 || PresencePenalty > 2)
        {
            return "presence_penalty must be between -2 and 2";
        }

        if (float.IsNaN(FrequencyPenalty) || FrequencyPenalty < -2 || FrequencyPenalty > 2)
        {
            return "frequency_penalty must be between -2 and 2";
        }

        if (MaxTokens < 0)
        {
            return "max_tokens must not be negative"; // 0 scores the prompt only (completions' echo with logprobs)
        }

        if (MinTokens < 0 || MinTokens > MaxTokens)
        {
            return "min_tokens must be between 0 and max_tokens";
        }

        if (TopLogprobs < 0 || TopLogprobs > 20)
        {
            return "top_logprobs must be between 0 and 20";
        }

        if (LogitBias is not null)
        {
            foreach (var (_, b) in LogitBias)
            {
                if (float.IsNaN(b) || b < -100 || b > 100)
                {
                    return "logit_bias values must be between -100 and 100";
                }
            }
        }

        return null;
    }
}
