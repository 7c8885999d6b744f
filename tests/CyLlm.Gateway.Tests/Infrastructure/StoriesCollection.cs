namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>Tests that share the stories260K gateway.</summary>
[CollectionDefinition(Name)]
public sealed class StoriesCollection : ICollectionFixture<StoriesServerFixture>
{
    public const string Name = "stories server";
}
