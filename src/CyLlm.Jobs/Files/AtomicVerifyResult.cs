namespace CyLlm.Jobs.Files;

/// <summary>The verdict on one file, with a one-line message and what was expected and found.</summary>
public sealed record AtomicVerifyResult(
    AtomicVerifyStatus Status,
    string Message,
    long? ExpectedSize,
    long? ActualSize,
    string? ExpectedSha256,
    string? ActualSha256,
    IReadOnlyList<string> LeftoverTemps)
{
    public bool IsOk => Status == AtomicVerifyStatus.Ok;

    public override string ToString() => $"{Status}: {Message}";
}
