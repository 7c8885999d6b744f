namespace CyLlm.Cli.Hub;

/// <summary>
/// The Hub's cache layout, shared with huggingface_hub, llama.cpp and vLLM:
/// <c>{root}/models--OWNER--REPO/blobs/{etag}</c> holds each file once, named by its etag (the LFS sha256);
/// <c>snapshots/{commit}/{file}</c> is a relative symlink to that blob (a copy where links cannot be made);
/// <c>refs/{revision}</c> holds the commit a branch or tag pointed to when last pulled.
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string RepoFolder(HubReference r) => Path.Combine(Root, r.CacheFolderName);

    public string BlobsFolder(HubReference r) => Path.Combine(RepoFolder(r), "blobs");

    public string Blob(HubReference r, string etag) => Path.Combine(BlobsFolder(r), etag);

    /// <summary>Where a blob is written while it downloads; only a verified file is renamed to <see cref="Blob"/>.</summary>
    public string Incomplete(HubReference r, string etag) => Blob(r, etag) + ".incomplete";

    /// <summary>The lock file that keeps two pulls of one blob apart (the folder huggingface_hub locks in too).</summary>
    public string Lock(HubReference r, string etag) => Path.Combine(Root, ".locks", r.CacheFolderName, etag + ".lock");

    public string SnapshotFolder(HubReference r, string commit) => Path.Combine(RepoFolder(r), "snapshots", commit);

    public string Snapshot(HubReference r, string commit, string file) =>
        Path.Combine(SnapshotFolder(r, commit), file.Replace('/', Path.DirectorySeparatorChar));

    public string RefFile(HubReference r, string revision) =>
        Path.Combine(RepoFolder(r), "refs", revision.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The commit <paramref name="revision"/> stands for in the cache: itself for a commit id, else refs/{revision}; null when unknown.</summary>
    public string? ReadRef(HubReference r, string revision)
    {
        if (HubReference.IsCommit(revision))
        {
            return revision;
        }

        string path = RefFile(r, revision);
        if (!File.Exists(path))
        {
            return null;
        }

        string commit = File.ReadAllText(path).Trim();
        return HubReference.IsCommit(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> is <paramref name="commit"/> (written whole, then renamed, so a reader never sees half).</summary>
    public void WriteRef(HubReference r, string revision, string commit)
    {
        if (revision == commit)
        {
            return;
        }

        string path = RefFile(r, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, commit); // no newline: the form huggingface_hub writes
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The files of a cached snapshot as repository paths ('/'-separated); links whose blob is gone are left out.</summary>
    public IReadOnlyList<string> SnapshotFiles(HubReference r, string commit)
    {
        string folder = SnapshotFolder(r, commit);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var files = new List<string>();
        foreach (string path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (File.Exists(path) && !path.EndsWith(".tmp", StringComparison.Ordinal))
            {
                files.Add(Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Makes snapshots/{commit}/{file} point at the verified blob: a relative symlink as the Hub's libraries make
    /// (so the cache folder can move), or a copy where the file system refuses links. Created under a temporary name and
    /// renamed, so the snapshot path either does not exist or is complete.
    /// </summary>
    public string LinkSnapshot(HubReference r, string commit, string file, string blob)
    {
        string path = Snapshot(r, commit, file);
        string folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.CreateSymbolicLink(tmp, Path.GetRelativePath(folder, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, tmp, overwrite: true);
        }

        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
