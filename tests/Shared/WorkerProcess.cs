using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace CyLlm.Tests.Shared;

/// <summary>
/// A test worker as a real child process (<c>dotnet WORKER.dll ARGS</c>): its stdout lines are collected as they
/// arrive so a test can wait for one and then kill the process with SIGKILL. Shared by the test projects that
/// start workers (linked from tests/Shared); each names its worker in a <c>WorkerProcess.Name.cs</c> partial.
/// </summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly SemaphoreSlim lineArrived = new(0);
    private readonly StringBuilder stderr = new();

    private WorkerProcess(Process process)
    {
        this.process = process;
    }

    public static string WorkerDll { get; } = Path.Combine(AppContext.BaseDirectory, WorkerFileName);

    /// <summary>The worker assembly's file name, e.g. <c>CyLlm.Jobs.ChaosWorker.dll</c>.</summary>
    private static partial string WorkerFileName { get; }

    public int Id => process.Id;

    public IReadOnlyList<string> Lines => [.. lines];

    public string StdErr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public static WorkerProcess Start(params string[] args)
    {
        if (!File.Exists(WorkerDll))
        {
            throw new FileNotFoundException($"test worker not built: {WorkerDll}");
        }

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(WorkerDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_TieredPGO"] = "0";
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var w = new WorkerProcess(p);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                w.lines.Enqueue(e.Data);
                w.lineArrived.Release();
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (w.stderr)
                {
                    w.stderr.AppendLine(e.Data);
                }
            }
        };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return w;
    }

    /// <summary>Waits until a stdout line satisfies <paramref name="match"/> (already-seen lines count); throws with the worker's stderr on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        int seen = 0;
        while (true)
        {
            var snapshot = Lines;
            for (; seen < snapshot.Count; seen++)
            {
                if (match(snapshot[seen]))
                {
                    return snapshot[seen];
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"worker {process.Id} printed no matching line in time; stdout tail: {Tail()}; stderr: {StdErr}");
            }

            if (process.HasExited && !await lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200)))
            {
                throw new InvalidOperationException($"worker {process.Id} exited with {process.ExitCode} before the expected line; stdout tail: {Tail()}; stderr: {StdErr}");
            }

            await lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250));
        }
    }

    public async Task SendLineAsync(string line)
    {
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>SIGKILL (kill -9) of the worker and its children; returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await process.WaitForExitAsync();
    }

    /// <summary>Waits for a normal exit and returns the exit code; kills and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"worker {process.Id} did not exit in time; stdout tail: {Tail()}; stderr: {StdErr}");
        }

        // WaitForExit without a timeout also drains the redirected streams.
        process.WaitForExit();
        return process.ExitCode;
    }

    private string Tail()
    {
        var l = Lines;
        return string.Join(" | ", l.Skip(Math.Max(0, l.Count - 5)));
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        process.Dispose();
        lineArrived.Dispose();
    }
}
