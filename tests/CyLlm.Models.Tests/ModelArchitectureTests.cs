namespace CyLlm.Models.Tests;

/// <summary><see cref="ModelArchitecture"/> and <see cref="ExpertGating"/> values are persisted (caches, manifests):
/// append-only, every value frozen.</summary>
public sealed class ModelArchitectureTests
{
    [Theory]
    [InlineData(ModelArchitecture.Llama, 0)]
    [InlineData(ModelArchitecture.Qwen2, 1)]
    [InlineData(ModelArchitecture.Qwen3, 2)]
    [InlineData(ModelArchitecture.Gemma2, 3)]
    [InlineData(ModelArchitecture.Gemma3, 4)]
    [InlineData(ModelArchitecture.Qwen3Moe, 5)]
    [InlineData(ModelArchitecture.Phi3, 6)]
    [InlineData(ModelArchitecture.Qwen2Moe, 7)]
    [InlineData(ModelArchitecture.GptOss, 8)]
    public void Values_are_frozen(ModelArchitecture architecture, int value) => Assert.Equal(value, (int)architecture);

    [Fact]
    public void Every_value_is_listed() => Assert.Equal(9, Enum.GetValues<ModelArchitecture>().Length);

    [Theory]
    [InlineData(ExpertGating.Softmax, 0)]
    [InlineData(ExpertGating.SoftmaxOverSelected, 1)]
    public void Gating_values_are_frozen(ExpertGating gating, int value) => Assert.Equal(value, (int)gating);
}
