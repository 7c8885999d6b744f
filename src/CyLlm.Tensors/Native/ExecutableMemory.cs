using System.Runtime.InteropServices;

namespace CyLlm.Tensors.Native;

/// <summary>
/// Maps machine code into memory that is executable and never writable at the same time (written while
/// read-write, then switched to read-execute). Linux x86-64 only, where the code's System V calling
/// convention is the platform's; elsewhere, or when the system refuses executable memory, it returns null and
/// the caller keeps its managed kernels. Mappings live for the process.
/// </summary>
internal static unsafe class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 2, MapAnonymous = 0x20;

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The address of a read-execute copy of <paramref name="code"/>, or null.</summary>
    public static byte* Map(ReadOnlySpan<byte> code)
    {
        if (!IsSupported || code.IsEmpty)
        {
            return null;
        }

        nuint page = (nuint)Environment.SystemPageSize;
        nuint size = ((nuint)code.Length + page - 1) / page * page;
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

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int mprotect(void* addr, nuint length, int prot);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int munmap(void* addr, nuint length);
}
