using System.Threading.Channels;
using CyLlm.Engine.Generation;
using CyLlm.Engine.Sampling;

namespace CyLlm.Engine.Scheduling;

/// <summary>A submitted request: when it left the waiting queue, its token stream and its final result.</summary>
public sealed class ServingHandle(ChannelReader<GeneratedToken> tokens, Task started, Task<GenerationResult> completion, Func<int> cachedTokens,
    Task<IReadOnlyList<SampleResult?>>? promptLogprobs = null)
{
    /// <summary>Generated tokens in order; the channel completes when the request finishes.</summary>
    public ChannelReader<GeneratedToken> Tokens { get; } = tokens;

    /// <summary>Completes when the scheduler starts the request (leaves the waiting queue). It never completes for a
    /// request that ends while still waiting (cancelled, failed): wait on it together with <see cref="Completion"/>.</summary>
    public Task Started { get; } = started;

    public Task<GenerationResult> Completion { get; } = completion;

    /// <summary>
    /// With <see cref="ServingRequest.PromptLogprobs"/>: completes with the prompt's logprobs (index 0 null) as soon as
    /// the prefill is done, before the first token. It never completes for a request that ends before (cancelled,
    /// failed): wait on it together with <see cref="Completion"/>. Null when the request asks for none.
    /// </summary>
    public Task<IReadOnlyList<SampleResult?>>? PromptLogprobs { get; } = promptLogprobs;

    /// <summary>Prompt tokens served from the prefix cache (final once the first token arrived).</summary>
    public int CachedTokens => cachedTokens();

    public IAsyncEnumerable<GeneratedToken> ReadAllAsync(CancellationToken cancellationToken = default) => Tokens.ReadAllAsync(cancellationToken);
}
