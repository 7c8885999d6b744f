using System.Diagnostics;

namespace CyLlm.Training.Data;

/// <summary>Limits of one validation (or read) pass.</summary>
public sealed record DatasetValidationOptions
{
    /// <summary>Rows longer than this many tokens (after the chat template, BOS included) are truncated to it.</summary>
    public int MaxSequenceLength { get; init; } = 2048;

    /// <summary>Errors kept in the report; later ones are only counted (<see cref="DatasetValidationReport.ErrorCount"/>).</summary>
    public int MaxStoredErrors { get; init; } = 1000;

    /// <summary>Bytes one row may take in the file (a JSONL line, a CSV record, a JSON array element).</summary>
    public int MaxRowBytes { get; init; } = 16 * 1024 * 1024;

    internal DatasetValidationOptions Checked()
    {
        Debug.Assert(MaxSequenceLength > 1 && MaxStoredErrors >= 0 && MaxRowBytes > 0);
        if (MaxSequenceLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "the sequence length must be at least 2 tokens");
        }

        if (MaxStoredErrors < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStoredErrors), MaxStoredErrors, "must not be negative");
        }

        if (MaxRowBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRowBytes), MaxRowBytes, "must be positive");
        }

        return this;
    }
}
