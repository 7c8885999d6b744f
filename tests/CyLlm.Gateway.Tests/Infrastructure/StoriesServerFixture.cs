using CyLlm.Engine;

namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>One live gateway over stories260K shared by the tests of a collection, and an in-process engine
/// over the same file for reference outputs.</summary>
public sealed class StoriesServerFixture : IAsyncLifetime
{
    public LiveServer Server { get; private set; } = null!;

    public InferenceEngine Engine { get; private set; } = null!;

    public string ModelId => "stories260K";

    public async Task InitializeAsync()
    {
        Server = await LiveServer.StartStoriesAsync();
        Engine = InferenceEngine.Load(RepoPaths.StoriesModel, null, new EngineOptions { Threads = 2 });
    }

    public async Task DisposeAsync()
    {
        Engine.Dispose();
        await Server.DisposeAsync();
    }
}
