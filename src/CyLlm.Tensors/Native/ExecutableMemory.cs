using System.Runtime.InteropServices;
using System.Text;

namespace CyLlm.Tensors.Native;

/// <summary>
/// Maps machine code into memory that is executable and never writable at the same time. Linux x86-64 only, where
/// the code's System V calling convention is the platform's; elsewhere, or when the system refuses executable memory,
/// it returns null and the caller keeps its managed kernels. Mappings live for the process.
/// <para>
/// The code goes into a named memory file (memfd_create) mapped read-execute, so profilers see it as its own module:
/// `perf report` shows samples in "memfd:NAME (deleted)" at offsets into the code, which the generated file's entry
/// offsets name (<see cref="PerfMap"/> adds symbol lines where the runtime does not own the perf map). Where memfd is
/// refused it falls back to an anonymous page written read-write, then switched to read-execute.
/// </para>
/// </summary>
internal static unsafe class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapShared = 1, MapPrivate = 2, MapAnonymous = 0x20;
    private const uint MfdCloexec = 1;

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The address of a read-execute copy of <paramref name="code"/>, or null. <paramref name="name"/> names the
    /// mapping for profilers (/proc/PID/maps shows "/memfd:NAME (deleted)").</summary>
    public static byte* Map(ReadOnlySpan<byte> code, string name)
    {
        if (!IsSupported || code.IsEmpty)
        {
            return null;
        }

        nuint page = (nuint)Environment.SystemPageSize;
        nuint size = ((nuint)code.Length + page - 1) / page * page;
        byte* named = MapNamed(code, name, size);
        return named != null ? named : MapAnonymousCopy(code, size);
    }

    /// <summary>Writes the code into a memory file and maps it read-execute (the process never holds a writable view).</summary>
    private static byte* MapNamed(ReadOnlySpan<byte> code, string name, nuint size)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        int fd;
        fixed (byte* n = utf8)
        {
            fd = memfd_create(n, MfdCloexec);
        }

        if (fd < 0)
        {
            return null;
        }

        try
        {
            if (ftruncate(fd, (nint)size) != 0)
            {
                return null;
            }

            fixed (byte* src = code)
            {
                for (int done = 0; done < code.Length;)
                {
                    nint n = write(fd, src + done, (nuint)(code.Length - done));
                    if (n <= 0)
                    {
                        return null;
                    }

                    done += (int)n;
                }
            }

            void* p = mmap(null, size, ProtRead | ProtExec, MapShared, fd, 0);
            return p == (void*)-1 || p == null ? null : (byte*)p;
        }
        finally
        {
            // The mapping keeps the file alive; the descriptor is not needed any more.
            close(fd);
        }
    }

    private static byte* MapAnonymousCopy(ReadOnlySpan<byte> code, nuint size)
    {
        void* p = mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == (void*)-1 || p == null)
        {
            return null;
        }

        code.CopyTo(new Span<byte>(p, code.Length));
        if (mprotect(p, size, ProtRead | ProtExec) != 0)
        {
            munmap(p, size);
            return null;
        }

        return (byte*)p;
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int memfd_create(byte* name, uint flags);

    [DllImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static extern int ftruncate(int fd, nint length);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint write(int fd, void* buffer, nuint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int mprotect(void* addr, nuint length, int prot);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int munmap(void* addr, nuint length);
}
