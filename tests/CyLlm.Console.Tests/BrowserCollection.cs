namespace CyLlm.Console.Tests;

/// <summary>All browser tests share one Chromium and run one at a time (the machine is small; pages time out less).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
