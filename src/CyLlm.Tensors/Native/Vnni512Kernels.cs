using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors.Native;

/// <summary>
/// The 512-bit VNNI kernels of <see cref="Quant.Q8_0x16"/> and <see cref="Quant.Q4_0x16"/>: machine code
/// compiled from vnni512.c (see there for why it is not C#) and mapped executable once per process. The entries
/// are null — and the engine uses its C# kernels — unless this is Linux x86-64 with AVX-512F/BW and
/// AVX512-VNNI, the code's SHA-256 matches, and <c>CYLLM_NATIVE_KERNELS</c> is not <c>0</c>. Disabling AVX-512
/// for the runtime (<c>DOTNET_EnableAVX512=0</c>) disables them too.
/// </summary>
internal static unsafe partial class Vnni512Kernels
{
    // Declared before the entries: static initializers run in text order, and Load sets it.
    /// <summary>Why the entries are null, or "loaded".</summary>
    public static string Status { get; private set; } = "";

    private static readonly byte* Code = Load();

    /// <summary>cyllm_q8_0x16_group(packedGroup, blocks, activations, activationStride, tokens, y, yStride).</summary>
    public static readonly delegate* unmanaged[SuppressGCTransition]<byte*, int, Q8Block*, nint, int, float*, nint, void> Q8_0x16 =
        Code == null ? null : (delegate* unmanaged[SuppressGCTransition]<byte*, int, Q8Block*, nint, int, float*, nint, void>)(Code + Q8_0x16EntryOffset);

    /// <summary>cyllm_q4_0x16_group, with the same parameters over the Q4_0 layout.</summary>
    public static readonly delegate* unmanaged[SuppressGCTransition]<byte*, int, Q8Block*, nint, int, float*, nint, void> Q4_0x16 =
        Code == null ? null : (delegate* unmanaged[SuppressGCTransition]<byte*, int, Q8Block*, nint, int, float*, nint, void>)(Code + Q4_0x16EntryOffset);

    public static bool IsLoaded => Code != null;

    /// <summary>The entry points and their offsets in the code (for <see cref="PerfMap"/>).</summary>
    public static IReadOnlyList<(string Name, int Offset)> Entries =>
        [("cyllm_q8_0x16_group", Q8_0x16EntryOffset), ("cyllm_q4_0x16_group", Q4_0x16EntryOffset)];

    /// <summary>Where the code is mapped (null when not loaded), for tests that look it up in /proc/self/maps.</summary>
    public static nuint Address => (nuint)Code;

    /// <summary>AVX512-VNNI: CPUID leaf 7, sub-leaf 0, ECX bit 11 (.NET 10 has no flag for it).</summary>
    public static bool ProcessorHasAvx512Vnni =>
        X86Base.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    private static byte* Load()
    {
        if (Environment.GetEnvironmentVariable("CYLLM_NATIVE_KERNELS") == "0")
        {
            Status = "disabled by CYLLM_NATIVE_KERNELS=0";
            return null;
        }

        if (!ExecutableMemory.IsSupported)
        {
            Status = "not Linux x86-64";
            return null;
        }

        if (!ProcessorHasAvx512Vnni)
        {
            Status = "no AVX-512 VNNI";
            return null;
        }

        byte[] code = Convert.FromBase64String(CodeBase64);
        if (Convert.ToHexStringLower(SHA256.HashData(code)) != CodeSha256)
        {
            Status = "machine code does not match its SHA-256";
            return null;
        }

        byte* p = ExecutableMemory.Map(code, "cyllm-vnni512");
        Status = p == null ? "the system refused executable memory" : "loaded";
        if (p != null && PerfMap.Requested(Environment.GetEnvironmentVariable))
        {
            PerfMap.Write(PerfMap.Lines((nuint)p, code.Length, Entries));
        }

        return p;
    }
}
