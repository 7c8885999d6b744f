namespace CyLlm.Tensors.Threading;

/// <summary>
/// A unit of parallel work run by <see cref="WorkerPool"/>. Implementations are long-lived objects whose
/// fields are set before each run, so that dispatching allocates nothing.
/// </summary>
public interface IParallelJob
{
    /// <summary>Runs part <paramref name="index"/> of the job on worker <paramref name="worker"/> (0 = the caller).</summary>
    void Execute(int index, int worker);
}
