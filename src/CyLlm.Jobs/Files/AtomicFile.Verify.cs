using System.Security.Cryptography;

namespace CyLlm.Jobs.Files;

/// <summary>Verification and crash recovery.</summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Checks a file against its marker: exists, marker present and valid, size and SHA-256 equal, no temp files of an
    /// interrupted write beside it. Never reports <see cref="AtomicVerifyStatus.Ok"/> for content the marker does not describe.
    /// </summary>
    public static AtomicVerifyResult Verify(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        string marker = target + MarkerSuffix;
        var leftovers = FindTemps(target);
        if (!File.Exists(target))
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.MissingFile, $"{target} does not exist", null, null, null, null, leftovers);
        }

        if (!File.Exists(marker))
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.MissingMarker, $"{target} has no {MarkerSuffix} marker; it was not written atomically or its write did not finish",
                null, new FileInfo(target).Length, null, null, leftovers);
        }

        var m = AtomicMarker.TryRead(File.ReadAllBytes(marker));
        if (m is null)
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.InvalidMarker, $"marker {marker} is not a valid marker document", null, null, null, null, leftovers);
        }

        var (size, sha) = HashFile(target);
        if (size != m.Size)
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.SizeMismatch, $"{target} has {size} bytes but its marker records {m.Size}", m.Size, size, m.Sha256, sha, leftovers);
        }

        if (sha != m.Sha256)
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.HashMismatch, $"{target} SHA-256 {sha[..16]}… differs from its marker's {m.Sha256[..16]}…", m.Size, size, m.Sha256, sha, leftovers);
        }

        if (leftovers.Count > 0)
        {
            return new AtomicVerifyResult(AtomicVerifyStatus.LeftoverTemp,
                $"{target} matches its marker but {leftovers.Count} temp file(s) of an interrupted write remain ({Path.GetFileName(leftovers[0])}…); run recovery",
                m.Size, size, m.Sha256, sha, leftovers);
        }

        return new AtomicVerifyResult(AtomicVerifyStatus.Ok, $"{target}: {size} bytes, sha256 {sha[..16]}…, written {m.WrittenUtc:O}", m.Size, size, m.Sha256, sha, leftovers);
    }

    /// <summary>
    /// Finishes or undoes an interrupted write (run at start-up before trusting a file): if the target does not match its
    /// marker but a pending temp marker describes it exactly (the kill fell between the two renames), the pending marker
    /// is promoted; then every temp file of the target is deleted. Returns the verification after recovery.
    /// </summary>
    public static AtomicVerifyResult Recover(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(target)!;
        var before = Verify(target);
        if (before.Status is AtomicVerifyStatus.MissingMarker or AtomicVerifyStatus.InvalidMarker or AtomicVerifyStatus.SizeMismatch or AtomicVerifyStatus.HashMismatch)
        {
            string markerPrefix = $".{Path.GetFileName(target)}{MarkerSuffix}{TempInfix}";
            foreach (string temp in before.LeftoverTemps)
            {
                if (!Path.GetFileName(temp).StartsWith(markerPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var pending = AtomicMarker.TryRead(File.ReadAllBytes(temp));
                if (pending is not null && pending.Size == before.ActualSize && pending.Sha256 == (before.ActualSha256 ?? HashFile(target).Sha256))
                {
                    File.Move(temp, target + MarkerSuffix, overwrite: true);
                    break;
                }
            }
        }

        foreach (string temp in FindTemps(target))
        {
            TryDelete(temp);
        }

        DirectorySync.Fsync(dir);
        return Verify(target);
    }

    /// <summary>Temp files of <paramref name="target"/> in its folder (content and marker temps of any writer).</summary>
    public static IReadOnlyList<string> FindTemps(string target)
    {
        string full = Path.GetFullPath(target);
        string? dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir))
        {
            return [];
        }

        string name = Path.GetFileName(full);
        var found = new List<string>();
        foreach (string f in Directory.EnumerateFiles(dir, $".{name}*{TempInfix}*"))
        {
            string n = Path.GetFileName(f);
            if (n.StartsWith($".{name}{TempInfix}", StringComparison.Ordinal) || n.StartsWith($".{name}{MarkerSuffix}{TempInfix}", StringComparison.Ordinal))
            {
                found.Add(f);
            }
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>Size and lower-case hex SHA-256 of a file, read in one pass.</summary>
    public static (long Size, string Sha256) HashFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        byte[] digest = SHA256.HashData(fs);
        return (fs.Length, Convert.ToHexStringLower(digest));
    }
}
