using CyLlm.Jobs.Blobs;
using CyLlm.Jobs.PostgreSql;
using CyLlm.Jobs.Sqlite;
using CyLlm.Jobs.Storage;

namespace CyLlm.Gateway.State;

/// <summary>
/// Opens the gateway's durable store (SQLite in the data folder by default, PostgreSQL when configured) and owns
/// the data folder's layout: <c>cyllm.db</c>, <c>files/</c> for uploads and generated outputs (staged there, then moved
/// into the store with <c>--file-storage store</c>), <c>cache/files/</c> for local copies of store-held files.
/// </summary>
public sealed class StoreHost : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private readonly CyLlm.Jobs.Blobs.S3.S3BlobStore? _bucket;

    private StoreHost(IJobStore store, IBlobStore? blobs, FileStorageKind kind, string dataDirectory, bool ownsDirectory, CyLlm.Jobs.Blobs.S3.S3BlobStore? bucket)
    {
        Store = store;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        _bucket = bucket;
        Directory.CreateDirectory(FilesDirectory);
        Contents = new FileContents(new LocalDirectoryBlobStore(FilesDirectory), blobs, kind, bucket);
        SharedBlobs = kind switch
        {
            FileStorageKind.Store => blobs,
            FileStorageKind.S3 => bucket,
            _ => null,
        };
    }

    public IJobStore Store { get; }

    /// <summary>The bytes of files: new ones where <c>--file-storage</c> says, existing ones wherever their row points.</summary>
    public FileContents Contents { get; }

    /// <summary>The shared blobs when file contents are shared (<c>--file-storage store</c> or <c>s3</c>): fine-tuning checkpoints go there too.</summary>
    public IBlobStore? SharedBlobs { get; }

    /// <summary>Local copies of store-held files for code that reads by path (the trainer): <c>DATA/cache/files</c>.</summary>
    public string FileCacheDirectory => Path.Combine(DataDirectory, "cache", "files");

    /// <summary>Absolute path of the state folder.</summary>
    public string DataDirectory { get; }

    /// <summary>Where file bytes live (<c>DATA/files/&lt;file id&gt;</c>).</summary>
    public string FilesDirectory => Path.Combine(DataDirectory, "files");

    /// <summary>The SQLite database file of a data folder.</summary>
    public static string DatabasePath(string dataDirectory) => Path.Combine(dataDirectory, "cyllm.db");

    /// <summary>Opens (and migrates) the store the options name.</summary>
    public static async Task<StoreHost> OpenAsync(GatewayOptions options, CancellationToken ct = default)
    {
        bool owns = options.DataDirectory is null;
        string dir = owns
            ? Path.Combine(Path.GetTempPath(), "cyllm-gw-" + Guid.NewGuid().ToString("N")[..12])
            : Path.GetFullPath(options.DataDirectory!);
        Directory.CreateDirectory(dir);
        // The bucket's settings are checked before the store opens, so a wrong one fails with nothing to close.
        if (options.FileStorage == FileStorageKind.S3 && options.S3Location is not { Length: > 0 })
        {
            throw new ArgumentException("--file-storage s3 needs --s3-location s3://BUCKET[/PREFIX]");
        }

        var bucket = options.S3Location is { Length: > 0 } location
            ? new CyLlm.Jobs.Blobs.S3.S3BlobStore(CyLlm.Jobs.Blobs.S3.S3Settings.FromUrl(location, Environment.GetEnvironmentVariable), spoolDirectory: dir)
            : null;
        IJobStore store = options.PostgresConnectionString is { Length: > 0 } cs
            ? await PostgreSqlJobStore.OpenAsync(new PostgreSqlJobStoreOptions(cs) { SchemaName = options.PostgresSchema, Time = options.Time }, ct)
            : await SqliteJobStore.OpenAsync(new SqliteJobStoreOptions(options.SqlitePath is { Length: > 0 } file ? Path.GetFullPath(file) : DatabasePath(dir)) { Time = options.Time }, ct);
        // Both stores hold blobs; the raw one is taken, since a test's wrapper (WrapStore) proxies IJobStore only.
        var kind = options.FileStorage ?? (bucket is not null ? FileStorageKind.S3 : store.Provider == "postgresql" ? FileStorageKind.Store : FileStorageKind.Local);
        return new StoreHost(options.WrapStore?.Invoke(store) ?? store, store as IBlobStore, kind, dir, owns, bucket);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _bucket?.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder someone still holds open; the OS cleans /tmp.
            }
        }
    }
}
