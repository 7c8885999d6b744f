using CsCheck;
using CyLlm.Models.Gguf;
using CyLlm.Tensors;
using static CyLlm.Models.Tests.GgufTestWriter;

namespace CyLlm.Models.Tests;

/// <summary>
/// Hostile and corrupt GGUF input: every failure is a <see cref="ModelFormatException"/> with a one-line
/// message that says what is wrong, raised before any large allocation; never another exception type.
/// </summary>
public sealed class GgufHostileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-gguf-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name = "m.gguf")
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private ModelFormatException Fails(byte[] bytes, string name = "bad.gguf")
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Write(bytes, name)).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private ModelFormatException Fails(GgufTestWriter w) => Fails(w.Build());

    [Fact]
    public void Every_truncation_of_a_valid_file_is_a_clear_format_error()
    {
        var bytes = TinyLlama(alignment: 64).Build();
        Assert.Null(InMemory.GgufError(bytes, bytes.Length));
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = InMemory.GgufError(bytes, n);
            Assert.True(e is ModelFormatException, $"prefix {n} of {bytes.Length}: {e?.GetType().Name}: {e?.Message}");
            Assert.DoesNotContain('\n', e!.Message);
        }
    }

    [Fact]
    public void Truncated_files_on_disk_fail_the_same_way()
    {
        var bytes = TinyLlama().Build();
        for (int n = 1; n < bytes.Length; n += n < 600 ? 7 : 997)
        {
            string p = Write(bytes[..n], $"t{n}.gguf");
            var e = Record.Exception(() => ModelLoader.Load(p).Dispose());
            Assert.True(e is ModelFormatException, $"prefix {n}: {e?.GetType().Name}: {e?.Message}");
            File.Delete(p);
        }

        Assert.Contains("empty", Fails([], "empty.gguf").Message);
    }

    [Fact]
    public void Random_corruption_never_escapes_as_another_exception_type()
    {
        // Seeded: the same 3000 corruptions every run; most hit the header, where the parser is exposed.
        var valid = TinyLlama(GgmlType.Q8_0).Build();
        int headerEnd = valid.Length - (int)TinyLlama(GgmlType.Q8_0).TensorData("output.weight").Length - 8000;
        var rng = new Random(20240601);
        for (int iter = 0; iter < 3000; iter++)
        {
            var bytes = (byte[])valid.Clone();
            int edits = rng.Next(1, 9);
            for (int i = 0; i < edits; i++)
            {
                bytes[rng.Next(0, rng.Next(2) == 0 ? Math.Max(headerEnd, 64) : bytes.Length)] = (byte)rng.Next(256);
            }

            var e = InMemory.GgufError(bytes, bytes.Length);
            Assert.True(e is null or ModelFormatException, $"iteration {iter}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Any_prefix_of_a_quantized_file_fails_cleanly() =>
        Gen.Int[0, 4000].Sample(n =>
        {
            var bytes = TinyLlama(GgmlType.Q4_K, dim: 256).Build();
            return InMemory.GgufError(bytes, Math.Min(n, bytes.Length - 1)) is ModelFormatException;
        }, iter: 200);

    [Fact]
    public void Corrupt_header_fields_fail_with_a_message()
    {
        // Header fields are little-endian at fixed offsets: version 4, tensor count 8, KV count 16, first key length 24.
        (int Offset, byte[] Patch, string Fragment)[] cases =
        [
            (0, "GGUX"u8.ToArray(), "bad magic"),
            (4, BitConverter.GetBytes(1u), "unsupported GGUF version 1"),
            (4, BitConverter.GetBytes(99u), "unsupported GGUF version 99"),
            (4, BitConverter.GetBytes(0x03000000u), "big-endian GGUF files are not supported"),
            (8, BitConverter.GetBytes(1UL << 60), "tensor count 1152921504606846976 is impossible"),
            (16, BitConverter.GetBytes(1UL << 60), "metadata count"),
            (24, BitConverter.GetBytes(1UL << 40), "metadata key length 1099511627776"),
            (24, BitConverter.GetBytes(ulong.MaxValue), "runs past the end"),
        ];
        foreach (var (offset, patch, fragment) in cases)
        {
            var bytes = TinyLlama().Build();
            patch.CopyTo(bytes, offset);
            var e = InMemory.GgufError(bytes, bytes.Length);
            Assert.True(e is ModelFormatException && e.Message.Contains(fragment, StringComparison.Ordinal), $"{fragment}: {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Bad_magic_through_the_loader_is_not_a_model() =>
        Assert.Contains("unrecognised", Fails("GGUX-not-a-model-at-all-padding-"u8.ToArray(), "x.gguf").Message);

    [Fact]
    public void Absurd_array_counts_fail_before_allocating()
    {
        var payload = new byte[12];
        BitConverter.GetBytes((uint)GgufValueType.UInt64).CopyTo(payload, 0);
        BitConverter.GetBytes(1UL << 50).CopyTo(payload, 4);
        Assert.Contains("array of 1125899906842624 elements", Fails(TinyLlama().RawMeta("huge", (uint)GgufValueType.Array, payload)).Message);

        BitConverter.GetBytes((uint)GgufValueType.String).CopyTo(payload, 0);
        BitConverter.GetBytes(1UL << 40).CopyTo(payload, 4);
        Assert.Contains("runs past the end", Fails(TinyLlama().RawMeta("strings", (uint)GgufValueType.Array, payload)).Message);

        var stringLength = BitConverter.GetBytes(1UL << 40);
        Assert.Contains("1099511627776", Fails(TinyLlama().RawMeta("s", (uint)GgufValueType.String, stringLength)).Message);
    }

    [Fact]
    public void Unknown_value_types_and_deep_nesting_are_rejected()
    {
        Assert.Contains("unknown value type 13", Fails(TinyLlama().RawMeta("odd", 13, [0, 0, 0, 0])).Message);
        Assert.Contains("unknown element type 42", Fails(TinyLlama().RawMeta("odd", (uint)GgufValueType.Array, [42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])).Message);
        object deep = Arr(GgufValueType.UInt8, new byte[] { 1 });
        for (int i = 0; i < 5; i++)
        {
            deep = Arr(GgufValueType.Array, new[] { deep });
        }

        Assert.Contains("nests arrays deeper", Fails(TinyLlama().Meta("deep", GgufValueType.Array, deep)).Message);
        Assert.Contains("duplicate metadata key 'general.name'", Fails(TinyLlama().Meta("general.name", GgufValueType.String, "again")).Message);
    }

    [Fact]
    public void Bad_alignment_is_rejected()
    {
        Assert.Contains("general.alignment 48", Fails(TinyLlama().Meta("general.alignment", GgufValueType.UInt32, 48u)).Message);
        Assert.Contains("general.alignment", Fails(TinyLlama().Meta("general.alignment", GgufValueType.String, "32")).Message);
        Assert.Contains("general.alignment 0", Fails(TinyLlama().Meta("general.alignment", GgufValueType.UInt64, 0UL)).Message);
    }

    [Fact]
    public void Tensor_offsets_past_the_end_or_misaligned_are_rejected()
    {
        var past = TinyLlama().RawTensor("blk.9.extra", [32], 0, 1UL << 40);
        Assert.Contains("'blk.9.extra' (128 bytes at data offset 1099511627776) extends past the end", Fails(past).Message);
        var huge = TinyLlama().RawTensor("x", [32], 0, ulong.MaxValue - 31);
        Assert.Contains("extends past the end", Fails(huge).Message);
        var misaligned = TinyLlama().RawTensor("x", [32], 0, 8);
        Assert.Contains("not a multiple of the alignment 32", Fails(misaligned).Message);
        var overlap = TinyLlama().RawTensor("x", [32], 0, 0);
        Assert.Contains("overlap", Fails(overlap).Message);
    }

    [Fact]
    public void Unknown_and_unsupported_tensor_types_are_named()
    {
        Assert.Contains("tensor 'x' has unknown type 99", Fails(TinyLlama().RawTensor("x", [32], 99, 0)).Message);
        Assert.Contains("unknown type 4", Fails(TinyLlama().RawTensor("x", [32], 4, 0)).Message); // removed Q4_2
        var iq = Fails(TinyLlama().RawTensor("blk.0.iq", [256], (uint)GgmlType.IQ2_XXS, 0));
        Assert.Contains("'blk.0.iq' has type IQ2_XXS, which CyLlm does not support", iq.Message);
        Assert.Contains("IQ3_S", Fails(TinyLlama().RawTensor("iq3", [256], (uint)GgmlType.IQ3_S, 0)).Message);
        Assert.Contains("not a whole number of Q4_K blocks", Fails(TinyLlama().RawTensor("k", [32], (uint)GgmlType.Q4_K, 0)).Message);
    }

    [Fact]
    public void Hostile_names_stay_on_one_line()
    {
        var e = Fails(TinyLlama().RawTensor("evil\nname\r" + new string('x', 5000), [32], 99, 0));
        Assert.Contains("evil\\nname\\r", e.Message);
        Assert.True(e.Message.Length < 600, $"{e.Message.Length} chars");
        var arch = Fails(TinyLlama().Set("general.architecture", GgufValueType.String, "a\u2028b\u0007"));
        Assert.Contains("a\\u2028b\\u0007", arch.Message);
    }

    [Fact]
    public void Absurd_dimensions_are_rejected_without_overflow()
    {
        Assert.Contains("0 dimensions", Fails(TinyLlama().RawTensor("x", [], 0, 0)).Message);
        Assert.Contains("5 dimensions", Fails(TinyLlama().RawTensor("x", [1, 1, 1, 1, 1], 0, 0)).Message);
        Assert.Contains("dimension 1 of size 0", Fails(TinyLlama().RawTensor("x", [4, 0], 0, 0)).Message);
        Assert.Contains("dimension 0 of size 4294967296", Fails(TinyLlama().RawTensor("x", [1UL << 32], 0, 0)).Message);
        Assert.Contains("dimension 0 of size 18446744073709551615", Fails(TinyLlama().RawTensor("x", [ulong.MaxValue], 0, 0)).Message);
        var overflow = TinyLlama().RawTensor("x", [int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue], 0, 0);
        Assert.Contains("more than 2^42 elements", Fails(overflow).Message);
    }

    [Fact]
    public void Duplicate_tensor_names_are_rejected()
    {
        var w = TinyLlama().Tensor("blk.0.attn_q.weight", GgmlType.F32, [32, 32], new byte[32 * 32 * 4]);
        Assert.Contains("duplicate tensor name 'blk.0.attn_q.weight'", Fails(w).Message);
    }

    [Fact]
    public void Unknown_or_missing_architecture_is_named()
    {
        var neox = Fails(TinyLlama().Set("general.architecture", GgufValueType.String, "gpt-neox"));
        Assert.Contains("architecture 'gpt-neox' is not supported (supported: llama, mistral, qwen2, qwen3, qwen3moe, qwen2moe, gemma2, gemma3, phi3, gpt-oss)", neox.Message);
        Assert.Contains("general.architecture is missing", Fails(TinyLlama().Without("general.architecture")).Message);
        Assert.Contains("mixture-of-experts keys llama.expert_count 8 and llama.expert_used_count 0 are inconsistent", Fails(TinyLlama().Meta("llama.expert_count", GgufValueType.UInt32, 8u)).Message);
    }

    [Theory]
    [InlineData("llama.embedding_length")]
    [InlineData("llama.feed_forward_length")]
    [InlineData("llama.block_count")]
    [InlineData("llama.attention.head_count")]
    [InlineData("llama.context_length")]
    [InlineData("llama.attention.layer_norm_rms_epsilon")]
    public void Missing_required_keys_are_named(string key) =>
        Assert.Contains($"metadata '{key}' is missing", Fails(TinyLlama().Without(key)).Message);

    [Theory]
    [InlineData("blk.0.ffn_up.weight")]
    [InlineData("blk.0.attn_norm.weight")]
    [InlineData("output_norm.weight")]
    [InlineData("token_embd.weight")]
    public void Missing_required_tensors_are_named(string tensor) =>
        Assert.Contains($"tensor {tensor} is missing", Fails(TinyLlama().Without(tensor)).Message);

    [Fact]
    public void Wrong_shapes_and_unused_tensors_are_named()
    {
        var k = TinyLlama().Without("blk.0.attn_k.weight").Tensor("blk.0.attn_k.weight", GgmlType.F32, [32, 32], new byte[32 * 32 * 4]);
        Assert.Contains("tensor blk.0.attn_k.weight has shape [32, 32], expected [32, 16]", Fails(k).Message);
        var bias = TinyLlama().Tensor("blk.0.attn_output.bias", GgmlType.F32, [32], new byte[128]);
        Assert.Contains("blk.0.attn_output.bias is not used", Fails(bias).Message);
        var half = TinyLlama().Tensor("blk.0.attn_q.bias", GgmlType.F32, [32], new byte[128]);
        Assert.Contains("tensor blk.0.attn_k.bias is missing", Fails(half).Message);
        var extraLayer = TinyLlama().Tensor("blk.1.attn_norm.weight", GgmlType.F32, [32], new byte[128]);
        Assert.Contains("blk.1.attn_norm.weight is not used", Fails(extraLayer).Message);
        var freqs = TinyLlama().Tensor("rope_freqs.weight", GgmlType.F32, [3], new byte[12]);
        Assert.Contains("rope_freqs.weight has shape [3], expected [4]", Fails(freqs).Message);
    }

    [Fact]
    public void Inconsistent_hyperparameters_are_rejected()
    {
        Assert.Contains("not a multiple of head_count", Fails(TinyLlama().Set("llama.attention.head_count", GgufValueType.UInt32, 5u)).Message);
        Assert.Contains("inconsistent hyperparameters", Fails(TinyLlama().Set("llama.attention.head_count_kv", GgufValueType.UInt32, 3u)).Message);
        Assert.Contains("value_length", Fails(TinyLlama().Meta("llama.attention.value_length", GgufValueType.UInt32, 4u)).Message);
        Assert.Contains("RoPE dimension count 9", Fails(TinyLlama().Meta("llama.rope.dimension_count", GgufValueType.UInt32, 9u)).Message);
        Assert.Contains("epsilon", Fails(TinyLlama().Set("llama.attention.layer_norm_rms_epsilon", GgufValueType.Float32, float.NaN)).Message);
        Assert.Contains("RoPE scaling type 'longrope'", Fails(TinyLlama().Meta("llama.rope.scaling.type", GgufValueType.String, "longrope").Meta("llama.rope.scaling.factor", GgufValueType.Float32, 4f)).Message);
        Assert.Contains("YaRN RoPE scaling needs llama.rope.scaling.factor", Fails(TinyLlama().Meta("llama.rope.scaling.type", GgufValueType.String, "yarn")).Message);
        Assert.Contains("llama.vocab_size is 9", Fails(TinyLlama().Meta("llama.vocab_size", GgufValueType.UInt32, 9u)).Message);
        Assert.Contains("out of range", Fails(TinyLlama().Set("llama.block_count", GgufValueType.UInt64, 1UL << 40)).Message);
    }

    [Fact]
    public void Inconsistent_tokenizers_are_rejected()
    {
        Assert.Contains("tokenizer model 'bert' is not supported", Fails(TinyLlama().Set("tokenizer.ggml.model", GgufValueType.String, "bert")).Message);
        var scores = TinyLlama().Set("tokenizer.ggml.scores", GgufValueType.Array, Arr(GgufValueType.Float32, new[] { 0f }));
        Assert.Contains("tokenizer.ggml.scores has 1 entries for 8 tokens", Fails(scores).Message);
        var types = TinyLlama().Set("tokenizer.ggml.token_type", GgufValueType.Array, Arr(GgufValueType.Int32, new[] { 1, 1 }));
        Assert.Contains("token_type has 2 entries", Fails(types).Message);
        Assert.Contains("needs tokenizer.ggml.merges", Fails(TinyLlama().Set("tokenizer.ggml.model", GgufValueType.String, "gpt2")).Message);
        var count = TinyLlama().Set("tokenizer.ggml.tokens", GgufValueType.Array, Arr(GgufValueType.String, new[] { "a", "b", "c" })).Without("tokenizer.ggml.scores").Without("tokenizer.ggml.token_type");
        Assert.Contains("the tokenizer has 3 tokens but token_embd.weight has 8 rows", Fails(count).Message);
        Assert.Contains("tokenizer.ggml.tokens is missing", Fails(TinyLlama().Without("tokenizer.ggml.tokens")).Message);
    }
}
