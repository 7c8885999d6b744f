using CyLlm.ChatTemplates;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>
/// Forwards to a real backend and counts the generations handed to it, so a test awaits "N requests are in the
/// engine's queue" (<see cref="SubmittedAsync"/>) instead of polling or sleeping.
/// </summary>
public sealed class SubmitSignalBackend(IInferenceBackend inner) : IInferenceBackend
{
    private readonly object _lock = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _submitted;

    private readonly List<(GenerationStream Stream, CancellationToken Token)> _streams = [];

    public IInferenceBackend Inner { get; } = inner;

    /// <summary>The generation of the <paramref name="index"/>-th submission (0-based).</summary>
    public GenerationStream Stream(int index)
    {
        lock (_lock)
        {
            return _streams[index].Stream;
        }
    }

    /// <summary>Completes when the gateway cancels the <paramref name="index"/>-th submission (e.g. its client went away).</summary>
    public Task CancelledAsync(int index)
    {
        CancellationToken token;
        lock (_lock)
        {
            token = _streams[index].Token;
        }

        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => tcs.TrySetResult());
        return tcs.Task;
    }

    /// <summary>Completes once <paramref name="count"/> generations have been submitted.</summary>
    public Task SubmittedAsync(int count)
    {
        lock (_lock)
        {
            if (_submitted >= count)
            {
                return Task.CompletedTask;
            }

            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, tcs));
            return tcs.Task;
        }
    }

    public GenerationStream Start(GenerationRequest request, CancellationToken cancellationToken)
    {
        var stream = Inner.Start(request, cancellationToken);
        lock (_lock)
        {
            _submitted++;
            _streams.Add((stream, cancellationToken));
            foreach (var (count, signal) in _waiters)
            {
                if (_submitted >= count)
                {
                    signal.TrySetResult();
                }
            }
        }

        return stream;
    }

    public string ModelId => Inner.ModelId;

    public int ContextTokens => Inner.ContextTokens;

    public int VocabSize => Inner.VocabSize;

    public int MaxRequestTokens => Inner.MaxRequestTokens;

    public int Waiting => Inner.Waiting;

    public int MaxWaiting => Inner.MaxWaiting;

    public CyLlm.Engine.Scheduling.ServingStatus? Status => Inner.Status;

    public int[] Encode(string text, bool? addBos = null) => Inner.Encode(text, addBos);

    public string Decode(IReadOnlyList<int> ids) => Inner.Decode(ids);

    public byte[] PieceBytes(int id) => Inner.PieceBytes(id);

    public string RenderChat(IReadOnlyList<ChatMessage> messages) => Inner.RenderChat(messages);

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => Inner.EncodeChat(messages);

    public void Dispose() => Inner.Dispose();
}
