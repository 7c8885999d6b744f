using System.Threading.Channels;
using CyLlm.Engine.Generation;

namespace CyLlm.Engine.Scheduling;

/// <summary>A submitted request: its token stream and its final result.</summary>
public sealed class ServingHandle(ChannelReader<GeneratedToken> tokens, Task<GenerationResult> completion, Func<int> cachedTokens)
{
    /// <summary>Generated tokens in order; the channel completes when the request finishes.</summary>
    public ChannelReader<GeneratedToken> Tokens { get; } = tokens;

    public Task<GenerationResult> Completion { get; } = completion;

    /// <summary>Prompt tokens served from the prefix cache (final once the first token arrived).</summary>
    public int CachedTokens => cachedTokens();

    public IAsyncEnumerable<GeneratedToken> ReadAllAsync(CancellationToken cancellationToken = default) => Tokens.ReadAllAsync(cancellationToken);
}
