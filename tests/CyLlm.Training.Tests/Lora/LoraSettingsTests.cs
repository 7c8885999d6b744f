using CyLlm.Engine.Lora;
using CyLlm.Training.Lora;

namespace CyLlm.Training.Tests.Lora;

public sealed class LoraSettingsTests
{
    [Fact]
    public void All_is_every_block_projection_and_the_head_only_when_named()
    {
        LoraTarget[] blocks = [LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O, LoraTarget.Gate, LoraTarget.Up, LoraTarget.Down];
        Assert.Equal(blocks, LoraSettings.ParseTargets("all"));
        Assert.Equal([.. blocks, LoraTarget.Output], LoraSettings.ParseTargets("all,output"));
        Assert.Equal([LoraTarget.Q, LoraTarget.Output], LoraSettings.ParseTargets("q_proj, lm_head"));
        Assert.Equal([LoraTarget.Q], LoraSettings.ParseTargets("q,q"));
        var e = Assert.Throws<ArgumentException>(() => LoraSettings.ParseTargets("q,embed"));
        Assert.Contains("'embed'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LoraSettings.ParseTargets(" , "));
    }

    [Fact]
    public void Target_values_are_frozen()
    {
        // They index adapters' weight arrays and are recorded in checkpoints by name; new ones go at the end.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], Enum.GetValues<LoraTarget>().Select(t => (int)t));
        Assert.Equal(["Q", "K", "V", "O", "Gate", "Up", "Down", "Output"], Enum.GetNames<LoraTarget>());
    }
}
