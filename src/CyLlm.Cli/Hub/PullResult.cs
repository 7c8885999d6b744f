namespace CyLlm.Cli.Hub;

/// <summary>The outcome of a pull.</summary>
/// <param name="Path">The snapshot path (snapshots/{commit}/{file}), ready to load.</param>
/// <param name="Downloaded">False when the file was already in the cache (nothing fetched).</param>
/// <param name="FromCacheOnly">True when the Hub was not asked (HF_HUB_OFFLINE, or it could not be reached).</param>
public sealed record PullResult(string Path, string File, string Commit, bool Downloaded, bool FromCacheOnly);
