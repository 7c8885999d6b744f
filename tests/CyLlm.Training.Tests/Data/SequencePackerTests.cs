using CsCheck;
using CyLlm.Training.Data;

namespace CyLlm.Training.Tests.Data;

public sealed class SequencePackerTests
{
    private static TrainingExample Ex(int length, int firstId, long line) =>
        new([.. Enumerable.Range(firstId, length)], [.. Enumerable.Repeat(true, length)], line);

    [Fact]
    public void ExamplesArePackedInOrderWithBoundariesAndMaskedStarts()
    {
        var packed = new SequencePacker(10).Pack([Ex(4, 100, 1), Ex(5, 200, 2), Ex(3, 300, 3), Ex(12, 400, 4)]).ToList();
        Assert.Equal(3, packed.Count);

        Assert.Equal([100, 101, 102, 103, 200, 201, 202, 203, 204], packed[0].Tokens);
        Assert.Equal([0, 4], packed[0].ExampleStarts!);
        Assert.Equal(1, packed[0].SourceLine);
        Assert.False(packed[0].LossMask[4]);
        Assert.Equal(8, packed[0].LossMask.Count(m => m));

        Assert.Equal([300, 301, 302], packed[1].Tokens);
        Assert.Equal([0], packed[1].ExampleStarts!);

        // Longer than the limit: cut to it, alone in its sequence.
        Assert.Equal(10, packed[2].Tokens.Length);
        Assert.Equal(4, packed[2].SourceLine);
    }

    [Fact]
    public void PackingNeverLosesOrReordersTokens()
    {
        Gen.Int[1, 30].Array[0, 40].Sample(lengths =>
        {
            var examples = lengths.Select((n, i) => Ex(n, i * 1000, i)).ToList();
            var packed = new SequencePacker(32).Pack(examples).ToList();
            Assert.All(packed, p => Assert.True(p.Tokens.Length <= 32));
            Assert.Equal(examples.SelectMany(e => e.Tokens), packed.SelectMany(p => p.Tokens));
            Assert.Equal(examples.Count, packed.Sum(p => p.ExampleStarts!.Length));
        }, iter: 200);
    }
}
