using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CyLlm.Cli.Tests;

/// <summary>A running `cyllm serve` process on a free loopback port (auth off), with its output captured.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The server's process id (a batch lease's owner names it: <c>gw-PID-…</c>).</summary>
    public int ProcessId => _process.Id;

    public static ServeProcess Start(params string[] args) => Start(null, args);

    /// <summary>Starts with <paramref name="env"/> applied on top of this process's environment (see <see cref="CliProcess.StartInfo"/>).</summary>
    public static ServeProcess Start(IReadOnlyDictionary<string, string?>? env, params string[] args) => Start(env, auth: false, args);

    /// <summary>Starts with API keys required (<paramref name="auth"/>) or off (--no-auth, the default of the other overloads).</summary>
    public static ServeProcess Start(IReadOnlyDictionary<string, string?>? env, bool auth, params string[] args)
    {
        int port = FreePort();
        string[] authArgs = auth ? [] : ["--no-auth"];
        var psi = CliProcess.StartInfo(env, ["serve", "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. authArgs, .. args]);
        var p = Process.Start(psi)!;
        var sp = new ServeProcess(p, port);
        p.OutputDataReceived += (_, e) => sp.Append(e.Data);
        p.ErrorDataReceived += (_, e) => sp.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return sp;
    }

    /// <summary>Waits until GET /health answers 200 (the model is loaded); fails if the process exits first.</summary>
    public async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            Assert.False(_process.HasExited, "cyllm serve exited: " + Output);
            try
            {
                using var res = await Http.GetAsync("/health");
                if (res.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "cyllm serve did not become ready: " + Output);
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, leases are not released, nothing is flushed.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            KillHard();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
