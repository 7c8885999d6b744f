namespace CyLlm.Gateway.Tests.Infrastructure;

/// <summary>One live gateway over a <see cref="FakeBackend"/>, shared by the tests of a class (they run one at a time).</summary>
public sealed class FakeServerFixture : IAsyncLifetime
{
    public FakeBackend Backend { get; } = new();

    public LiveServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LiveServer.StartFakeAsync(Backend);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
