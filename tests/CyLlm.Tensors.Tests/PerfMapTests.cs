using CyLlm.Tensors.Native;

namespace CyLlm.Tensors.Tests;

/// <summary>
/// The machine-code kernels are named for profilers: mapped from a named memory file (perf attributes samples to
/// "memfd:cyllm-vnni512"), and listed in /tmp/perf-PID.map when asked and the runtime does not own that file.
/// </summary>
public sealed class PerfMapTests
{
    [Fact]
    public void Lines_cover_each_entry_up_to_the_next_and_the_helpers_before_the_first()
    {
        string lines = PerfMap.Lines(unchecked((nuint)0x7f0000001000), 0x300, [("second", 0x200), ("first", 0x100)]);
        Assert.Equal(
            "7f0000001000 100 cyllm_native_helpers\n7f0000001100 100 first\n7f0000001200 100 second\n",
            lines);
    }

    [Fact]
    public void An_entry_outside_the_code_is_refused()
    {
        Assert.Throws<ArgumentException>(() => PerfMap.Lines(0x1000, 0x100, [("a", 0x80), ("b", 0x100)]));
        Assert.Throws<ArgumentException>(() => PerfMap.Lines(0x1000, 0x100, [("a", -1)]));
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("1", null, true)]
    [InlineData("1", "0", true)]
    [InlineData("1", "2", true)]   // jitdump only: the runtime leaves perf-PID.map alone
    [InlineData("1", "1", false)]  // the runtime writes the file (not appending): our lines would be overwritten
    [InlineData("1", "3", false)]
    [InlineData("0", null, false)]
    public void Own_lines_are_written_only_when_asked_and_the_runtime_does_not_write_the_file(string? cyllm, string? runtime, bool expected)
    {
        var env = new Dictionary<string, string?> { ["CYLLM_PERF_MAP"] = cyllm, ["DOTNET_PerfMapEnabled"] = runtime };
        Assert.Equal(expected, PerfMap.Requested(name => env.GetValueOrDefault(name)));
    }

    [Fact]
    public void Write_appends_to_the_map_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cyllm-perfmap-test-{Guid.NewGuid():N}.map");
        try
        {
            File.WriteAllText(path, "1000 10 existing\n");
            PerfMap.Write("2000 20 added\n", path);
            Assert.Equal("1000 10 existing\n2000 20 added\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public void Loaded_kernels_live_in_a_named_executable_mapping()
    {
        Skip.IfNot(Vnni512Kernels.IsLoaded, $"the machine-code kernels are not loaded here ({Vnni512Kernels.Status})");
        ulong address = Vnni512Kernels.Address;
        // /proc/self/maps: "start-end perms offset dev inode path"
        var line = File.ReadLines("/proc/self/maps").FirstOrDefault(l =>
        {
            var range = l.Split(' ')[0].Split('-');
            return Convert.ToUInt64(range[0], 16) <= address && address < Convert.ToUInt64(range[1], 16);
        });
        Assert.NotNull(line);
        Assert.Contains("r-xs", line);
        Assert.Contains("memfd:cyllm-vnni512", line);
    }
}
