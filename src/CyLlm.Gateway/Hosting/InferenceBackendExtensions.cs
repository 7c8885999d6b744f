using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Hosting;

/// <summary>Conveniences over <see cref="IInferenceBackend.Start"/>.</summary>
public static class InferenceBackendExtensions
{
    /// <summary>Runs a generation to its end and returns the result (tokens are not streamed).</summary>
    public static async Task<GenerationResult> GenerateAsync(this IInferenceBackend backend, GenerationRequest request, CancellationToken cancellationToken = default) =>
        await backend.Start(request, cancellationToken).Completion;

    /// <summary>
    /// <paramref name="n"/> choices as separate generations, choice i seeded seed + i (one seed drawn for the group
    /// when the request has none); only choice 0 reports prompt logprobs. Every choice is started, or none: a refusal
    /// part-way cancels the ones already started.
    /// </summary>
    public static GenerationStream[] StartSeparately(this IInferenceBackend backend, GenerationRequest request, int n, CancellationToken cancellationToken)
    {
        if (n == 1)
        {
            return [backend.Start(request, cancellationToken)];
        }

        long seed = request.Sampling.Seed ?? Random.Shared.NextInt64(int.MaxValue);
        var streams = new GenerationStream[n];
        var group = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            for (int i = 0; i < n; i++)
            {
                var choice = request with { Sampling = request.Sampling with { Seed = seed + i }, PromptLogprobs = i == 0 ? request.PromptLogprobs : null };
                streams[i] = backend.Start(choice, group.Token);
            }
        }
        catch
        {
            group.Cancel();
            group.Dispose();
            throw;
        }

        // The linked source lives as long as the choices run.
        _ = Task.WhenAll(streams.Select(s => (Task)s.Completion)).ContinueWith(_ => group.Dispose(), TaskScheduler.Default);
        return streams;
    }
}
