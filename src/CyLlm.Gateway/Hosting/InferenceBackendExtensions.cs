using CyLlm.Engine.Generation;

namespace CyLlm.Gateway.Hosting;

/// <summary>Conveniences over <see cref="IInferenceBackend.Start"/>.</summary>
public static class InferenceBackendExtensions
{
    /// <summary>Runs a generation to its end and returns the result (tokens are not streamed).</summary>
    public static async Task<GenerationResult> GenerateAsync(this IInferenceBackend backend, GenerationRequest request, CancellationToken cancellationToken = default) =>
        await backend.Start(request, cancellationToken).Completion;
}
