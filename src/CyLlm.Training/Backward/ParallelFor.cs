using CyLlm.Tensors.Threading;

namespace CyLlm.Training.Backward;

/// <summary>
/// Runs body(i) for i in [0, count) on the engine's <see cref="WorkerPool"/>. One delegate per op call (never per
/// element); each index writes only its own outputs, so results do not depend on the thread count.
/// </summary>
internal sealed class ParallelFor : IParallelJob
{
    private readonly WorkerPool _pool;
    private Action<int>? _body;

    public ParallelFor(WorkerPool pool) => _pool = pool;

    public void Run(int count, Action<int> body)
    {
        if (count <= 0)
        {
            return;
        }

        lock (this)
        {
            _body = body;
            _pool.Run(this, count);
            _body = null;
        }
    }

    public void Execute(int index, int worker) => _body!(index);
}
