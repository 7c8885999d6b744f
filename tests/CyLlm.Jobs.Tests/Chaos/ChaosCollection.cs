namespace CyLlm.Jobs.Tests.Chaos;

/// <summary>Chaos tests start many processes: they run one after another (but beside the other test classes).</summary>
[CollectionDefinition(Name)]
public sealed class ChaosCollection
{
    public const string Name = "chaos";
}
