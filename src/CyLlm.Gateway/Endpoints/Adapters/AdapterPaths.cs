using CyLlm.Gateway.Auth;
using CyLlm.Gateway.Errors;

namespace CyLlm.Gateway.Endpoints.Adapters;

/// <summary>
/// Which <c>lora_path</c> a caller may load. The operator (operator-tenant keys, and everyone with auth off) loads any
/// path the server can read. Every other admin is confined to <see cref="GatewayOptions.AdapterDirectory"/>: its
/// path (relative ones are taken inside that folder) must resolve — symbolic links and <c>..</c> followed the way the
/// operating system will follow them — to an entry strictly inside it. Anything else, including every path when no
/// directory is configured, gets one and the same error whatever the path, so the endpoint reveals nothing about
/// the file system outside the directory (before, /etc, /etc/shadow and /nope each answered differently).
/// </summary>
public static class AdapterPaths
{
    /// <summary>Symbolic links followed at most while resolving one path (Linux's own limit).</summary>
    private const int MaxLinks = 40;

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The path to load for <paramref name="caller"/>: the resolved path inside the adapter directory (so the
    /// loader opens what was checked), or the path as given for the operator; throws <see cref="Outside"/> otherwise.</summary>
    public static string Resolve(Caller caller, string path, string? adapterDirectory)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(path);
        if (caller.IsOperator)
        {
            return adapterDirectory is not null && !Path.IsPathRooted(path) ? Path.Combine(adapterDirectory, path) : path;
        }

        if (adapterDirectory is null || path.Length == 0)
        {
            throw Outside();
        }

        try
        {
            string root = RealPath(Path.GetFullPath(adapterDirectory));
            string real = RealPath(Path.IsPathFullyQualified(path) ? path : Path.Join(root, path));
            string prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
            return real.Length > prefix.Length && real.StartsWith(prefix, PathComparison) ? real : throw Outside();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // A NUL in the path, a link loop, an unreadable link: all outside, and all answered alike.
            throw Outside();
        }
    }

    /// <summary>The one answer for every path a non-operator may not load.</summary>
    public static ApiError Outside() => new(403, ErrorCodes.InsufficientScope,
        "This key may load adapters only from inside the server's adapter directory (Gateway:AdapterDirectory). Fix: give a path inside that directory (or relative to it), or ask the operator to place the adapter there or load it with an operator key",
        "lora_path");

    /// <summary>
    /// The path with every symbolic link resolved, component by component, and <c>.</c>/<c>..</c> applied after the
    /// links before them (as the kernel does: <c>link/..</c> is the parent of the link's target, not the link's folder).
    /// Components that do not exist are kept as written.
    /// </summary>
    internal static string RealPath(string path)
    {
        string current = Path.GetPathRoot(path) is { Length: > 0 } r ? r : throw new ArgumentException("the path is not absolute", nameof(path));
        var pending = new Queue<string>(Split(path[current.Length..]));
        int links = 0;
        while (pending.TryDequeue(out string? part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            string next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException("too many levels of symbolic links");
            }

            // Resolve the target against the link's own (already resolved) folder, then whatever followed the link.
            string? targetRoot = Path.GetPathRoot(target);
            var rest = pending.ToArray();
            pending = new Queue<string>(Split(string.IsNullOrEmpty(targetRoot) ? target : target[targetRoot.Length..]).Concat(rest));
            if (!string.IsNullOrEmpty(targetRoot))
            {
                current = targetRoot;
            }
        }

        return current;
    }

    private static string[] Split(string relative) =>
        relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
