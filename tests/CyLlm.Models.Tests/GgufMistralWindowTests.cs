using CyLlm.Models.Gguf;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>Mistral's sliding window in a "llama" GGUF: {arch}.attention.sliding_window &gt; 0 makes every layer local; 0 none.</summary>
public sealed class GgufMistralWindowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-swa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes)
    {
        string p = Path.Combine(_dir, "m.gguf");
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Fact]
    public void A_llama_file_with_a_sliding_window_key_is_windowed_on_every_layer()
    {
        using var m = ModelLoader.Load(Write(TinyLlama().Meta("llama.attention.sliding_window", GgufValueType.UInt32, 16u).Build()));
        Assert.Equal(16, m.Config.SlidingWindow);
        Assert.True(m.Config.IsLocalLayer(0));
        using var none = ModelLoader.Load(Write(TinyLlama().Meta("llama.attention.sliding_window", GgufValueType.UInt32, 0u).Build()));
        Assert.Equal(0, none.Config.SlidingWindow);
        Assert.False(none.Config.IsLocalLayer(0));
    }
}
