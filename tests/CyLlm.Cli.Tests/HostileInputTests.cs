namespace CyLlm.Cli.Tests;

/// <summary>Bad files and arguments: one clear error line, a non-zero exit, never a crash or a hang.</summary>
public class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cyllm-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static void AssertOneErrorLine((int ExitCode, string StdOut, string StdErr) r, string expectedFragment)
    {
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.StdErr.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.StdErr); // no stack trace
    }

    [Fact]
    public void Missing_file() =>
        AssertOneErrorLine(CliProcess.Run("generate", "--model", Path.Combine(_dir, "nope.gguf"), "--max-tokens", "1"), "not found");

    [Fact]
    public void Bad_magic() =>
        AssertOneErrorLine(CliProcess.Run("generate", "--model", Write("bad.gguf", "NOTAMODELFILE-------------------"u8.ToArray()), "--max-tokens", "1"), "unrecognised model format");

    [Fact]
    public void Truncated_gguf()
    {
        var bytes = File.ReadAllBytes(CliProcess.Shared("stories260K.gguf"));
        AssertOneErrorLine(CliProcess.Run("generate", "--model", Write("trunc.gguf", bytes[..(bytes.Length / 2)]), "--max-tokens", "1"), "truncated");
    }

    [Fact]
    public void Absurd_tensor_count()
    {
        var bytes = File.ReadAllBytes(CliProcess.Shared("stories260K.gguf"));
        BitConverter.TryWriteBytes(bytes.AsSpan(8), 1UL << 60);
        AssertOneErrorLine(CliProcess.Run("inspect", "--model", Write("huge.gguf", bytes)), "tensor count");
    }

    [Fact]
    public void Empty_file() =>
        AssertOneErrorLine(CliProcess.Run("inspect", "--model", Write("empty.gguf", [])), "empty");

    [Fact]
    public void Tokenizer_that_does_not_match_the_model() =>
        AssertOneErrorLine(
            CliProcess.Run("generate", "--model", CliProcess.Shared("llama-2-tiny-random.gguf"), "--tokenizer", CliProcess.Shared("tok512.bin"), "--max-tokens", "1"),
            "do not belong together");

    [Fact]
    public void Out_of_range_sampling_parameter() =>
        AssertOneErrorLine(CliProcess.Run("generate", "--model", CliProcess.Shared("stories260K.gguf"), "--temperature", "-3"), "temperature");
}
