using System.Reflection;
using System.Runtime.ExceptionServices;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.Tests.Hosting;

/// <summary>
/// A store that forwards every call to the real one, except that <see cref="Fault"/> may throw instead (a busy
/// database, an unreadable folder): how background loops are shown to survive a failure. Counts the faults thrown.
/// </summary>
public class FaultingStore : DispatchProxy
{
    private IJobStore _inner = null!;
    private Func<string, object?[], Exception?> _fault = null!;
    private int _faults;

    /// <summary>Faults thrown so far.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="fault"/> sees each call's method name and arguments and
    /// returns the exception to throw, or null to forward the call.</summary>
    public static (IJobStore Store, FaultingStore Control) Wrap(IJobStore inner, Func<string, object?[], Exception?> fault)
    {
        var store = Create<IJobStore, FaultingStore>();
        var control = (FaultingStore)(object)store;
        control._inner = inner;
        control._fault = fault;
        return (store, control);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        args ??= [];
        if (_fault(targetMethod.Name, args) is { } e)
        {
            Interlocked.Increment(ref _faults);
            throw e;
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException t) when (t.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(t.InnerException);
            throw;
        }
    }
}
