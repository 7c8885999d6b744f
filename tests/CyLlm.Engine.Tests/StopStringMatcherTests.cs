using CsCheck;
using CyLlm.Engine.Generation;

namespace CyLlm.Engine.Tests;

public class StopStringMatcherTests
{
    [Fact]
    public void Holds_back_a_possible_stop_prefix_and_cuts_at_the_match()
    {
        var m = new StopStringMatcher(["\nUser:"]);
        Assert.Equal("Hello", m.Push("Hello"));
        Assert.Equal("", m.Push("\nUs"));
        Assert.Equal("", m.Push("er: x"));
        Assert.True(m.Stopped);
    }

    [Fact]
    public void Releases_held_text_when_it_cannot_become_a_stop()
    {
        var m = new StopStringMatcher(["END"]);
        Assert.Equal("a", m.Push("aE"));
        Assert.Equal("Ex", m.Push("x"));
        Assert.Equal("E", m.Push("E") + m.Flush());
    }

    [Fact]
    public void Output_is_the_text_before_the_first_stop_for_any_split()
    {
        Gen.Select(Gen.String[Gen.Char["abcXY"], 0, 30], Gen.Int[1, 5]).Sample((text, step) =>
        {
            var m = new StopStringMatcher(["XY", "cab"]);
            string output = "";
            for (int i = 0; i < text.Length && !m.Stopped; i += step)
            {
                output += m.Push(text.Substring(i, Math.Min(step, text.Length - i)));
            }

            output += m.Flush();
            int cut = new[] { text.IndexOf("XY", StringComparison.Ordinal), text.IndexOf("cab", StringComparison.Ordinal) }.Where(i => i >= 0).DefaultIfEmpty(text.Length).Min();
            return output == text[..cut];
        }, iter: 2000);
    }
}
