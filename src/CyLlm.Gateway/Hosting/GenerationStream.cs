using System.Threading.Channels;
using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Hosting;

/// <summary>
/// One generation a backend accepted (<see cref="IInferenceBackend.Start"/>): read <see cref="Tokens"/> with
/// <c>await foreach</c> as they are generated, then <see cref="Completion"/>. Nothing blocks a thread while waiting.
/// </summary>
public sealed class GenerationStream(ChannelReader<GeneratedToken> tokens, Task started, Task<GenerationResult> completion)
{
    /// <summary>Tokens in order; completes when the generation ends (with its exception when it failed).</summary>
    public ChannelReader<GeneratedToken> Tokens { get; } = tokens;

    /// <summary>
    /// Completes when the backend's own waiting queue let the request start: the end of the "queue" stage. A request
    /// that ends while still waiting (cancelled, failed) never starts; wait on it together with <see cref="Completion"/>.
    /// </summary>
    public Task Started { get; } = started;

    /// <summary>The final result (FinishReason.Cancelled when cancelled); faults with the engine's error.</summary>
    public Task<GenerationResult> Completion { get; } = completion;

    /// <summary>
    /// With <see cref="GenerationRequest.PromptLogprobs"/> on a backend that scores the prompt: the prompt's logprobs
    /// (index 0 null) as soon as its prefill is done, so a stream can echo them before the first token. It never
    /// completes for a generation that ends first; wait on it together with <see cref="Completion"/>. Null when the
    /// backend delivers them only in the result.
    /// </summary>
    public Task<IReadOnlyList<CyLlm.Engine.Sampling.SampleResult?>>? PromptLogprobs { get; init; }
}
