using CyLlm.Tensors.Native;
using CyLlm.Tensors.Quant;

namespace CyLlm.Tensors;

/// <summary>Which matmul kernels this process runs for the repacked weight types (reported by `cyllm bench`).</summary>
public static class KernelInfo
{
    public static string Q8_0 =>
        Q8_0x16.IsSupported ? "q8_0x16 avx512-vnni (machine code)" : Q8_0x8.IsSupported ? (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "q8_0x8 avx-vnni" : "q8_0x8 avx2") : "row dot products";

    public static string Q4_0 =>
        Q4_0x16.HasNativeKernel ? "q4_0x16 avx512-vnni (machine code)" : Q4_0x16.IsSupported ? (Q4_0x16.Uses512 ? "q4_0x16 avx512bw" : "q4_0x16 avx2") : "row dot products";

    /// <summary>The K-quant (Q2_K–Q6_K), IQ4_NL/IQ4_XS and float kernels' instruction set here.</summary>
    public static string KQuants =>
        System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported
            ? (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "integer avx-vnni" : "integer avx2")
            : "integer scalar";

    /// <summary>The widest vector the float kernels use here (they sum in one canonical order on every width).</summary>
    public static string Float =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "vector512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "vector256"
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "vector128" : "scalar";

    /// <summary>"loaded", or why the machine-code kernels are not used here.</summary>
    public static string NativeKernels => Vnni512Kernels.Status;
}
