using CyLlm.Training.FineTuning;

namespace CyLlm.Gateway.Hosting;

/// <summary>Chooses the fine-tuning executor a server runs: the configured one, else the built-in trainer.</summary>
public static class FineTuneExecutors
{
    /// <summary>The executor factory, or null when this server cannot train (no built-in trainer available).</summary>
    public static Func<GatewayState, IFineTuneExecutor>? Resolve(GatewayOptions options) =>
        options.FineTuneExecutorFactory ?? BuiltIn;

    /// <summary>Set once the trainer is wired (see TrainerFineTuneExecutor); null until then.</summary>
    internal static Func<GatewayState, IFineTuneExecutor>? BuiltIn { get; set; }
}
