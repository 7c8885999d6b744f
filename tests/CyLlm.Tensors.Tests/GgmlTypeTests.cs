using CyLlm.Tensors;

namespace CyLlm.Tensors.Tests;

public class GgmlTypeTests
{
    // The numbers are written into GGUF files by every tool in the ecosystem: they must never change.
    [Theory]
    [InlineData(GgmlType.F32, 0u)]
    [InlineData(GgmlType.F16, 1u)]
    [InlineData(GgmlType.Q4_0, 2u)]
    [InlineData(GgmlType.Q4_1, 3u)]
    [InlineData(GgmlType.Q5_0, 6u)]
    [InlineData(GgmlType.Q5_1, 7u)]
    [InlineData(GgmlType.Q8_0, 8u)]
    [InlineData(GgmlType.Q2_K, 10u)]
    [InlineData(GgmlType.Q3_K, 11u)]
    [InlineData(GgmlType.Q4_K, 12u)]
    [InlineData(GgmlType.Q5_K, 13u)]
    [InlineData(GgmlType.Q6_K, 14u)]
    [InlineData(GgmlType.IQ4_NL, 20u)]
    [InlineData(GgmlType.IQ4_XS, 23u)]
    [InlineData(GgmlType.BF16, 30u)]
    [InlineData(GgmlType.MXFP4, 39u)]
    public void Values_are_frozen(GgmlType type, uint value) => Assert.Equal(value, (uint)type);

    [Theory]
    [InlineData(GgmlType.Q4_0, 32, 18)]
    [InlineData(GgmlType.Q4_1, 32, 20)]
    [InlineData(GgmlType.Q5_0, 32, 22)]
    [InlineData(GgmlType.Q5_1, 32, 24)]
    [InlineData(GgmlType.Q8_0, 32, 34)]
    [InlineData(GgmlType.Q2_K, 256, 84)]
    [InlineData(GgmlType.Q3_K, 256, 110)]
    [InlineData(GgmlType.Q4_K, 256, 144)]
    [InlineData(GgmlType.Q5_K, 256, 176)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.IQ4_NL, 32, 18)]
    [InlineData(GgmlType.IQ4_XS, 256, 136)]
    [InlineData(GgmlType.MXFP4, 32, 17)]
    public void Block_geometry_matches_ggml(GgmlType type, int blockSize, int blockBytes)
    {
        Assert.Equal(blockSize, GgmlTypeInfo.BlockSize(type));
        Assert.Equal(blockBytes, GgmlTypeInfo.BlockBytes(type));
        Assert.Equal(blockBytes * 4L, GgmlTypeInfo.RowBytes(type, blockSize * 4L));
        Assert.Equal(-1, GgmlTypeInfo.RowBytes(type, blockSize + 1));
    }

    [Fact]
    public void Unknown_values_are_not_known()
    {
        Assert.False(GgmlTypeInfo.IsKnown(4));
        Assert.False(GgmlTypeInfo.IsKnown(5));
        Assert.False(GgmlTypeInfo.IsKnown(31));
        Assert.Equal(0, GgmlTypeInfo.BlockSize((GgmlType)999));
    }
}
