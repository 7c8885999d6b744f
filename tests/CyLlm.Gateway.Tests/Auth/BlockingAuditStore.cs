using System.Reflection;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Tests.Auth;

/// <summary>An <see cref="IJobStore"/> whose only working method is <c>AppendAuditBatchAsync</c>, which waits for
/// <see cref="Release"/>: it stalls the audit writer so a test can fill its queue deterministically.</summary>
public class BlockingAuditStore : DispatchProxy
{
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when the writer's first batch reaches the store.</summary>
    public TaskCompletionSource FirstCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Rows { get; private set; }

    public static (IJobStore Store, BlockingAuditStore Control) Create()
    {
        var store = DispatchProxy.Create<IJobStore, BlockingAuditStore>();
        return (store, (BlockingAuditStore)(object)store);
    }

    public void Release() => Gate.TrySetResult();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod?.Name == nameof(IJobStore.AppendAuditBatchAsync))
        {
            lock (this)
            {
                Rows += ((IReadOnlyList<AuditRecord>)args![0]!).Count;
            }

            FirstCall.TrySetResult();
            return Gate.Task;
        }

        throw new NotSupportedException(targetMethod?.Name);
    }
}
