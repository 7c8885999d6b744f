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

    /// <summary>"loaded", or why the machine-code kernels are not used here.</summary>
    public static string NativeKernels => Vnni512Kernels.Status;
}
