using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Hosting;

/// <summary>Chooses the fine-tuning executor a server runs: the configured one, else the built-in trainer.</summary>
public static class FineTuneExecutors
{
    /// <summary>The executor factory, or null when this server cannot train (no model file: a test backend). The
    /// built-in trainer loads each job's own base model file; the default model's path is its fallback.</summary>
    public static Func<GatewayState, IFineTuneExecutor>? Resolve(GatewayOptions options)
    {
        if (options.FineTuneExecutorFactory is { } configured)
        {
            return configured;
        }

        // The default model trains jobs stored without a base model path (created before several base models).
        var catalog = ModelCatalog.Expand(options);
        if ((options.ModelPath ?? (catalog.Count > 0 ? catalog[0].Path : null)) is not { } path)
        {
            return null;
        }

        // One job at a time, on its own pool: it shares the cores with serving, which keeps its own threads.
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        return _ => new TrainerFineTuneExecutor(path, options.TokenizerPath, threads, options.Time) { ChatTemplate = options.ChatTemplate };
    }
}
