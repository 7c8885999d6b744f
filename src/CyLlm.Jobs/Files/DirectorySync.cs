using System.Runtime.InteropServices;

namespace CyLlm.Jobs.Files;

/// <summary>
/// fsync of a directory, which makes a rename inside it durable (POSIX: the rename is a change to the directory, and
/// only fsync on the directory's own descriptor persists it). .NET cannot open a directory as a file, so this is the one
/// P/Invoke of the project: open(2) with O_RDONLY, fsync(2), close(2) from libc. Windows has no equivalent (NTFS
/// journals the rename) and is skipped.
/// </summary>
internal static class DirectorySync
{
    private const int ORdOnly = 0;
    private const int EInval = 22;
    private const int EIntr = 4;

    public static void Fsync(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = Open(directory, ORdOnly);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open folder {directory} to fsync it (errno {errno})", errno);
        }

        try
        {
            int rc;
            do
            {
                rc = FsyncFd(fd);
            }
            while (rc != 0 && Marshal.GetLastPInvokeError() == EIntr);

            // EINVAL: the file system does not support syncing directories (some FUSE/tmpfs); nothing more can be done there.
            if (rc != 0 && Marshal.GetLastPInvokeError() is int e && e != EInval)
            {
                throw new IOException($"fsync of folder {directory} failed (errno {e})", e);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FsyncFd(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
