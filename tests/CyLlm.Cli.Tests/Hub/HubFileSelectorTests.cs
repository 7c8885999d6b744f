using CyLlm.Cli.Hub;

namespace CyLlm.Cli.Tests.Hub;

public sealed class HubFileSelectorTests
{
    private static readonly string[] Qwen =
    [
        ".gitattributes", "README.md", "Qwen3-0.6B-Q8_0.gguf", "qwen3-0.6b-q4_k_m.gguf", "Qwen3-0.6B-Q4_K_S.gguf",
        "Qwen3-0.6B-UD-Q8_0_XL.gguf", "mmproj-F16.gguf", "Qwen3-0.6B-BF16.gguf",
    ];

    [Theory]
    [InlineData("Q4_K_M", "qwen3-0.6b-q4_k_m.gguf")]
    [InlineData("q4_k_m", "qwen3-0.6b-q4_k_m.gguf")]
    [InlineData("Q8_0", "Qwen3-0.6B-Q8_0.gguf")] // not UD-Q8_0_XL: the tag standing alone wins
    [InlineData("bf16", "Qwen3-0.6B-BF16.gguf")]
    [InlineData("Qwen3-0.6B-Q4_K_S.gguf", "Qwen3-0.6B-Q4_K_S.gguf")]
    [InlineData("README.md", "README.md")]
    [InlineData(null, "qwen3-0.6b-q4_k_m.gguf")] // several GGUFs: Q4_K_M
    public void Picks_the_file_a_selector_means(string? selector, string expected) =>
        Assert.Equal(expected, HubFileSelector.Select(new HubReference("Qwen/Qwen3-0.6B-GGUF", selector, "main"), Qwen));

    [Fact]
    public void Without_a_selector_the_only_gguf_is_picked_and_projectors_are_ignored() =>
        Assert.Equal("m.gguf", HubFileSelector.Select(new HubReference("a/b", null, "main"), ["README.md", "mmproj-m.gguf", "m.gguf"]));

    [Theory]
    [InlineData(null, new[] { "a-Q8_0.gguf", "a-F16.gguf" }, "ambiguous_file", "has 2 .gguf files")]
    [InlineData(null, new[] { "model.safetensors", "config.json" }, "file_not_found", "has no .gguf file")]
    [InlineData("Q4_K", new[] { "a-Q4_K_M.gguf", "a-Q4_K_S.gguf" }, "ambiguous_file", "matches 2 files")]
    [InlineData("Q2_K", new[] { "a-Q4_K_M.gguf" }, "file_not_found", "no .gguf file for quantization 'Q2_K' (files: a-Q4_K_M.gguf)")]
    [InlineData("a-q4_k_m.gguf", new[] { "a-Q4_K_M.gguf" }, "file_not_found", "did you mean 'a-Q4_K_M.gguf'")]
    public void Failures_name_the_choices(string? selector, string[] files, string code, string message)
    {
        var e = Assert.Throws<HubException>(() => HubFileSelector.Select(new HubReference("a/b", selector, "main"), files));

        Assert.Equal(code, e.Code);
        Assert.Contains(message, e.Message);
    }
}
