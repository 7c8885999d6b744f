using System.Threading.Channels;
using CyLlm.Engine.Generation;

namespace CyLlm.Engine.Scheduling;

/// <summary>A submitted request: when it left the waiting queue, its token stream and its final result.</summary>
public sealed class ServingHandle(ChannelReader<GeneratedToken> tokens, Task started, Task<GenerationResult> completion, Func<int> cachedTokens)
{
    /// <summary>Generated tokens in order; the channel completes when the request finishes.</summary>
    public ChannelReader<GeneratedToken> Tokens { get; } = tokens;

    /// <summary>Completes when the scheduler starts the request (leaves the waiting queue). It never completes for a
    /// request that ends while still waiting (cancelled, failed): wait on it together with <see cref="Completion"/>.</summary>
    public Task Started { get; } = started;

    public Task<GenerationResult> Completion { get; } = completion;

    /// <summary>Prompt tokens served from the prefix cache (final once the first token arrived).</summary>
    public int CachedTokens => cachedTokens();

    public IAsyncEnumerable<GeneratedToken> ReadAllAsync(CancellationToken cancellationToken = default) => Tokens.ReadAllAsync(cancellationToken);
}
