namespace CyLlm.Cli.Hub;

/// <summary>One file a pull downloads (it was missing from the cache).</summary>
/// <param name="ResumeFrom">Bytes already in the .incomplete file from an earlier, interrupted pull.</param>
public sealed record PullDownload(HubReference Reference, string Commit, string File, string Etag, long? Size, long ResumeFrom);
