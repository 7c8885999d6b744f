namespace CyLlm.Jobs.Batches;

/// <summary>The batch input file is invalid; <see cref="LineNumber"/> is 1-based (0 for file-level problems).</summary>
public sealed class BatchInputException : FormatException
{
    public BatchInputException(int lineNumber, string message)
        : base(lineNumber > 0 ? $"line {lineNumber}: {message}" : message)
    {
        LineNumber = lineNumber;
    }

    public int LineNumber { get; }
}
