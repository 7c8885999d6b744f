using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Hosting;

/// <summary>Chooses the fine-tuning executor a server runs: the configured one, else the built-in trainer.</summary>
public static class FineTuneExecutors
{
    /// <summary>The executor factory, or null when this server cannot train (no model file: a test backend).</summary>
    public static Func<GatewayState, IFineTuneExecutor>? Resolve(GatewayOptions options)
    {
        if (options.FineTuneExecutorFactory is { } configured)
        {
            return configured;
        }

        if (options.ModelPath is not { } path)
        {
            return null;
        }

        // One job at a time, on its own pool: it shares the cores with serving, which keeps its own threads.
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        return _ => new TrainerFineTuneExecutor(path, options.TokenizerPath, threads, options.Time);
    }
}
