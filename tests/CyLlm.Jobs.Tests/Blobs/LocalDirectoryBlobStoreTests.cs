using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.Tests.Infrastructure;

namespace CyLlm.Jobs.Tests.Blobs;

/// <summary>The blob conformance suite on a local folder (<c>--file-storage local</c>).</summary>
public sealed class LocalDirectoryBlobStoreTests : BlobStoreConformanceTests
{
    private readonly TempDir dir = new();

    protected override Task<IBlobStore> OpenAsync() => Task.FromResult<IBlobStore>(new LocalDirectoryBlobStore(dir.File("files")));

    protected override async Task CorruptAsync(string blobId)
    {
        string path = ((LocalDirectoryBlobStore)Blobs).PathOf(blobId);
        byte[] b = await File.ReadAllBytesAsync(path);
        b[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(path, b);
    }

    protected override Task CleanupAsync()
    {
        dir.Dispose();
        return Task.CompletedTask;
    }
}
