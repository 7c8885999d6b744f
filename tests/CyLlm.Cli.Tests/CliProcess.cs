using System.Diagnostics;

namespace CyLlm.Cli.Tests;

/// <summary>Runs the built `cyllm` (the referenced CLI assembly) as a real process.</summary>
internal static class CliProcess
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared(string name) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models", name));

    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "cyllm.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cyllm {string.Join(' ', args)} did not finish in 120 s");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
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
