using System.Threading.Channels;
using CyLlm.Engine.Generation;
using CyLlm.Gateway.Hosting;

namespace CyLlm.Gateway.Endpoints.Shared;

/// <summary>
/// The tokens of one request's choices as one ordered stream of (choice index, token): for one choice its own channel,
/// for n choices one channel fed by an async pump per choice (no thread waits). Faults with the first choice's error.
/// </summary>
internal sealed class ChoiceTokens
{
    private readonly ChannelReader<GeneratedToken>? _single;
    private readonly ChannelReader<(int Choice, GeneratedToken Token)>? _merged;

    public ChoiceTokens(GenerationStream[] generations)
    {
        if (generations.Length == 1)
        {
            _single = generations[0].Tokens;
            return;
        }

        var merged = Channel.CreateUnbounded<(int, GeneratedToken)>(new UnboundedChannelOptions { SingleReader = true });
        var pumps = new Task[generations.Length];
        for (int i = 0; i < generations.Length; i++)
        {
            pumps[i] = PumpAsync(i, generations[i].Tokens, merged.Writer);
        }

        _merged = merged.Reader;
        _ = Task.WhenAll(pumps).ContinueWith(
            t => merged.Writer.TryComplete(t.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public ValueTask<bool> WaitToReadAsync() => _single?.WaitToReadAsync() ?? _merged!.WaitToReadAsync();

    public bool TryRead(out int choice, out GeneratedToken token)
    {
        if (_single is not null)
        {
            choice = 0;
            return _single.TryRead(out token);
        }

        if (_merged!.TryRead(out var item))
        {
            (choice, token) = item;
            return true;
        }

        choice = 0;
        token = default;
        return false;
    }

    private static async Task PumpAsync(int choice, ChannelReader<GeneratedToken> reader, ChannelWriter<(int, GeneratedToken)> writer)
    {
        await foreach (var token in reader.ReadAllAsync().ConfigureAwait(false))
        {
            writer.TryWrite((choice, token));
        }
    }
}
