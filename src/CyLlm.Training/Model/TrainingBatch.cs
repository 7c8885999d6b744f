using System.Diagnostics;
using CyLlm.Training.Data;

namespace CyLlm.Training.Model;

/// <summary>
/// A micro-batch flattened into one row stream: every example (and every packed sub-example) is a segment with its own
/// positions from 0 and its own causal attention. Targets[r] is the next token of row r within its example, or −1 where
/// the loss mask (of that next token) is false or the example ends.
/// </summary>
public sealed class TrainingBatch
{
    public TrainingBatch(IReadOnlyList<TrainingExample> examples, int maxLength)
    {
        var tokens = new List<int>();
        var targets = new List<int>();
        var positions = new List<int>();
        var starts = new List<int>();
        var lengths = new List<int>();
        foreach (var ex in examples)
        {
            int n = Math.Min(ex.Tokens.Length, maxLength);
            int baseRow = tokens.Count;
            int[] exStarts = ex.ExampleStarts is { Length: > 0 } s ? s : [0];
            for (int i = 0; i < exStarts.Length; i++)
            {
                int a = exStarts[i];
                int b = i + 1 < exStarts.Length ? exStarts[i + 1] : n;
                b = Math.Min(b, n);
                if (b <= a)
                {
                    continue;
                }

                starts.Add(baseRow + a);
                lengths.Add(b - a);
                for (int p = a; p < b; p++)
                {
                    positions.Add(p - a);
                }
            }

            for (int i = 0; i < n; i++)
            {
                tokens.Add(ex.Tokens[i]);
                bool counted = i + 1 < n && ex.LossMask[i + 1] && Array.IndexOf(exStarts, i + 1) <= 0;
                targets.Add(counted ? ex.Tokens[i + 1] : -1);
            }
        }

        Tokens = [.. tokens];
        Targets = [.. targets];
        Positions = [.. positions];
        Starts = [.. starts];
        Lengths = [.. lengths];
        Debug.Assert(Positions.Length == Tokens.Length);
        foreach (int t in Targets)
        {
            CountedTokens += t >= 0 ? 1 : 0;
        }
    }

    public int[] Tokens { get; }
    public int[] Targets { get; }
    public int[] Positions { get; }
    public int[] Starts { get; }
    public int[] Lengths { get; }
    public int Rows => Tokens.Length;
    public int CountedTokens { get; }
}
