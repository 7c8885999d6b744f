using CyLlm.Models.Gguf;
using CyLlm.Tensors;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary><see cref="ModelSummary"/>: the quantization label the file declares (llama.cpp's ftype), else the type of most weight bytes.</summary>
public sealed class ModelSummaryTests
{
    private static ModelSummary Of(GgufTestWriter w)
    {
        string p = Path.Combine(Directory.CreateTempSubdirectory("cyllm-summary-").FullName, "m.gguf");
        File.WriteAllBytes(p, w.Build());
        using var m = ModelLoader.Load(p);
        return ModelSummary.Of(m);
    }

    [Fact]
    public void The_real_test_models_are_described()
    {
        using var tiny = ModelLoader.Load(TestPaths.Model("llama-2-tiny-random.gguf"));
        Assert.Equal(new ModelSummary("llama", "F16", 513_048), ModelSummary.Of(tiny));
        using var stories = ModelLoader.Load(TestPaths.Model("stories260K.gguf"));
        Assert.Equal("F32", ModelSummary.Of(stories).Quantization);
    }

    [Theory]
    [InlineData(15u, "Q4_K_M")]
    [InlineData(18u, "Q6_K")]
    [InlineData(7u, "Q8_0")]
    [InlineData(30u, "IQ4_XS")]
    public void The_declared_file_type_names_the_quantization(uint ftype, string label) =>
        Assert.Equal(label, Of(TinyLlama(GgmlType.Q8_0).Set("general.file_type", GgufValueType.UInt32, ftype)).Quantization);

    [Fact]
    public void Without_a_declared_type_the_matrices_decide_and_norms_do_not()
    {
        // Q8_0 matrices beside F32 norms and embedding: the matrices hold most bytes.
        var s = Of(TinyLlama(GgmlType.Q8_0, dim: 64).Without("general.file_type"));
        Assert.Equal("Q8_0", s.Quantization);
        Assert.Equal("qwen3", Of(TinyLlama(arch: "qwen3").Without("general.file_type")).Architecture);
        // An unknown ftype value (a newer llama.cpp) falls back to the tensors.
        Assert.Equal("F32", Of(TinyLlama().Set("general.file_type", GgufValueType.UInt32, 999u)).Quantization);
    }
}
