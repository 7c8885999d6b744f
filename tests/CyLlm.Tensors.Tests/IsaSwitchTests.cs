using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// CI's AVX2 pass sets CYLLM_EXPECT_ISA=avx2 beside the runtime switch that turns AVX-512 off. On .NET 10 the
/// old switch (DOTNET_EnableAVX512F=0) is silently ignored, which once let that pass run the AVX-512 paths and
/// miss an AVX2-only failure: this test fails whenever the pass does not run what it claims to.
/// </summary>
public sealed class IsaSwitchTests
{
    [SkippableFact]
    public void The_isa_level_ci_asked_for_is_the_one_running()
    {
        string? expected = Environment.GetEnvironmentVariable("CYLLM_EXPECT_ISA");
        Skip.If(string.IsNullOrEmpty(expected), "CYLLM_EXPECT_ISA is not set: this run makes no claim about its ISA level");
        switch (expected)
        {
            case "avx2":
                Assert.False(Avx512F.IsSupported, "AVX-512 is still on: the switch that should turn it off was ignored");
                Assert.False(Vector512.IsHardwareAccelerated);
                Assert.Equal("q4_0x16 avx2", KernelInfo.Q4_0);
                break;
            case "scalar":
                Assert.False(Vector128.IsHardwareAccelerated, "hardware intrinsics are still on");
                break;
            default:
                Assert.Fail($"unknown CYLLM_EXPECT_ISA '{expected}' (avx2 or scalar)");
                break;
        }
    }
}
