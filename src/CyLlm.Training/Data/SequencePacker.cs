using System.Diagnostics;

namespace CyLlm.Training.Data;

/// <summary>
/// Packs short examples into sequences of at most <see cref="MaxLength"/> tokens, in stream order (next-fit:
/// an example that does not fit closes the current sequence), so batches carry few padding tokens. Each packed
/// sequence lists where its examples start (<see cref="TrainingExample.ExampleStarts"/>) so the trainer can
/// reset attention and positions per example; the first token of every example after the first is masked
/// out, so no loss ever spans two examples. Its SourceLine is the first example's. Sequences are not padded.
/// </summary>
public sealed class SequencePacker
{
    public SequencePacker(int maxLength)
    {
        Debug.Assert(maxLength > 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        MaxLength = maxLength;
    }

    public int MaxLength { get; }

    /// <summary>Packs <paramref name="examples"/> lazily; an example longer than the limit is cut to it.</summary>
    public IEnumerable<TrainingExample> Pack(IEnumerable<TrainingExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var tokens = new List<int>(MaxLength);
        var mask = new List<bool>(MaxLength);
        var starts = new List<int>();
        long firstLine = 0;
        foreach (var ex in examples)
        {
            ex.Validate();
            int n = Math.Min(ex.Tokens.Length, MaxLength);
            if (n == 0)
            {
                continue;
            }

            if (tokens.Count + n > MaxLength)
            {
                yield return Flush(tokens, mask, starts, firstLine);
            }

            if (starts.Count == 0)
            {
                firstLine = ex.SourceLine;
            }

            starts.Add(tokens.Count);
            tokens.AddRange(ex.Tokens.AsSpan(0, n));
            mask.AddRange(ex.LossMask.AsSpan(0, n));
            if (starts.Count > 1)
            {
                // Predicting this example's first token from the previous example is not a target.
                mask[starts[^1]] = false;
            }
        }

        if (tokens.Count > 0)
        {
            yield return Flush(tokens, mask, starts, firstLine);
        }
    }

    private static TrainingExample Flush(List<int> tokens, List<bool> mask, List<int> starts, long firstLine)
    {
        var ex = new TrainingExample([.. tokens], [.. mask], firstLine) { ExampleStarts = [.. starts] };
        tokens.Clear();
        mask.Clear();
        starts.Clear();
        return ex;
    }
}
