using System.Diagnostics;

namespace CyLlm.Jobs.Tests.Infrastructure;

/// <summary>
/// Makes a folder or file really read-only for this process until disposed: chmod a-w, and — because root ignores
/// permission bits (CI runs as root) — also <c>chattr +i</c> (immutable) when a probe shows writes still succeed.
/// Throws when neither works, so a test can never pass without having faced a read-only path.
/// </summary>
internal sealed class ReadOnlyPath : IDisposable
{
    private readonly string path;
    private readonly UnixFileMode originalMode;
    private bool immutable;

    public ReadOnlyPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("read-only folder tests need a Unix file system");
        }

        this.path = path;
        originalMode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, originalMode & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        if (IsWritable())
        {
            Chattr("+i");
            immutable = true;
            if (IsWritable())
            {
                Dispose();
                throw new InvalidOperationException($"cannot make {path} read-only here (root without CAP_LINUX_IMMUTABLE?)");
            }
        }
    }

    private bool IsWritable()
    {
        try
        {
            if (Directory.Exists(path))
            {
                string probe = Path.Combine(path, ".probe-" + Guid.NewGuid().ToString("N"));
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            else
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Chattr(string flag)
    {
        using var p = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot start chattr");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 && flag == "+i")
        {
            throw new InvalidOperationException($"chattr +i {path} failed: {err.Trim()}");
        }
    }

    public void Dispose()
    {
        if (immutable)
        {
            Chattr("-i");
            immutable = false;
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, originalMode);
        }
    }
}
