using System.Diagnostics;

namespace CyLlm.Cli.Tests;

/// <summary>Runs the built `cyllm` (the referenced CLI assembly) as a real process.</summary>
internal static class CliProcess
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared(string name) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", name));

    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args) => Run(null, args);

    /// <summary>Runs with <paramref name="env"/> applied on top of this process's environment (a null value removes the variable).</summary>
    public static (int ExitCode, string StdOut, string StdErr) Run(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        using var p = Process.Start(StartInfo(env, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cyllm {string.Join(' ', args)} did not finish in 120 s");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>How to start `cyllm` with <paramref name="args"/>, stdout and stderr redirected, <paramref name="env"/> applied.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "cyllm.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        return psi;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CyLlm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
    }
}
