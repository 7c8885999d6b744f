namespace CyLlm.Cli.Tests.Hub;

/// <summary>One request the <see cref="FakeHub"/> answered: what was asked (with Range and Authorization as sent) and the status given.</summary>
internal sealed record FakeHubRequest(string Method, string Path, string? Range, string? Authorization, int Status = 0);
